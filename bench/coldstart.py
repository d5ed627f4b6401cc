"""Cold start: importing each function's handler vs importing its framework alone.

Each sample is a fresh interpreter (as a Lambda cold start is) with compiled bytecode (as the
deployed layers have it); samples of the baseline and of each handler alternate so that machine
noise hits them alike. Time is the process's CPU time (`time.process_time`), which other load on
the machine barely moves, unlike wall time. Reports medians and the ratio.

    python -m bench coldstart [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from furusato import topology

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK = "import boto3, aws_lambda_powertools.event_handler, pynamodb.models"
HEAVY = ("openpyxl", "xlsxwriter", "qrcode", "PIL", "python_calamine", "markdown_it", "nh3")

_PROBE = """
import json, sys, time
t0 = time.process_time()
{code}
elapsed = time.process_time() - t0
print(json.dumps({{"s": elapsed, "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def _handler_code(function: str) -> str:
    path = ROOT / "functions" / function / "handler.py"
    return (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('handler', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)"
    )


def _sample(code: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(runs: int) -> list[dict[str, object]]:
    # Deployed layers ship compiled bytecode (see scripts/build_deps_layer.py); compile ours the same.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "layers/core/python"), str(ROOT / "functions")],
        check=True,
    )
    functions = [fn.name for fn in topology.FUNCTIONS if (ROOT / fn.source_dir / "handler.py").exists()]
    # Warm the file system cache once so the first sample is not an outlier.
    _sample(FRAMEWORK)
    rows = []
    for name in functions:
        base: list[float] = []
        handler: list[float] = []
        heavy: set[str] = set()
        for _ in range(runs):
            base.append(float(_sample(FRAMEWORK)["s"]))  # type: ignore[arg-type]
            probe = _sample(_handler_code(name))
            handler.append(float(probe["s"]))  # type: ignore[arg-type]
            heavy.update(probe["heavy"])  # type: ignore[arg-type]
        b, h = statistics.median(base), statistics.median(handler)
        rows.append(
            {
                "function": name,
                "framework_ms": b * 1000,
                "handler_ms": h * 1000,
                "ratio": h / b,
                "heavy": sorted(heavy),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench coldstart")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    rows = measure(args.runs)
    print(f"Cold start, median of {args.runs} fresh interpreters each (framework = `{FRAMEWORK}`)\n")
    print("| function | framework ms | handler ms | ratio | heavy modules imported |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        heavy = ", ".join(r["heavy"]) or "none"  # type: ignore[arg-type]
        name, base, handler = r["function"], r["framework_ms"], r["handler_ms"]
        print(f"| {name} | {base:.0f} | {handler:.0f} | {r['ratio']:.2f} | {heavy} |")


if __name__ == "__main__":
    main()
