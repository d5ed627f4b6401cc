"""Cold start: importing each function's handler vs importing its framework alone.

Each sample is a fresh interpreter (as a Lambda cold start is) with compiled bytecode (as the
deployed layers have it). Time is the process's CPU time (`time.process_time`) of the imports
alone, which other load on the machine moves far less than wall time, though not to zero: a
busy machine still slows the caches, so the framework's own figure drifts within one run.

So that drift hits both sides alike, samples are paired: every handler sample has its own
framework sample taken just before or just after it (the order alternates), and the rounds go
over all functions in turn, so each function's samples spread over the whole run. The ratio of a
function is the median of its per-pair ratios (handler CPU time / framework CPU time); beside it
the medians and the minima of both sides, and the ratio of the minima (a minimum is the sample
least disturbed by other load).

    python -m bench.coldstart [--runs 21] [--only admin,support]
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


def _pair(function: str, handler_first: bool) -> tuple[float, float, list[str]]:
    """One framework sample and one handler sample, back to back: (framework s, handler s, heavy)."""
    if handler_first:
        probe = _sample(_handler_code(function))
        base = _sample(FRAMEWORK)
    else:
        base = _sample(FRAMEWORK)
        probe = _sample(_handler_code(function))
    return float(base["s"]), float(probe["s"]), list(probe["heavy"])  # type: ignore[arg-type,call-overload]


def measure(runs: int, only: list[str] | None = None) -> list[dict[str, object]]:
    # Deployed layers ship compiled bytecode (see scripts/build_deps_layer.py); compile ours the same.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "layers/core/python"), str(ROOT / "functions")],
        check=True,
    )
    functions = [fn.name for fn in topology.FUNCTIONS if (ROOT / fn.source_dir / "handler.py").exists()]
    if only:
        functions = [f for f in functions if f in only]
    # Warm the file system cache once for every handler so that no first sample is an outlier.
    _sample(FRAMEWORK)
    for name in functions:
        _sample(_handler_code(name))
    base: dict[str, list[float]] = {f: [] for f in functions}
    handler: dict[str, list[float]] = {f: [] for f in functions}
    heavy: dict[str, set[str]] = {f: set() for f in functions}
    for round_ in range(runs):
        for i, name in enumerate(functions):
            b_s, h_s, modules = _pair(name, handler_first=(round_ + i) % 2 == 1)
            base[name].append(b_s)
            handler[name].append(h_s)
            heavy[name].update(modules)
    rows = []
    for name in functions:
        b, h = base[name], handler[name]
        rows.append(
            {
                "function": name,
                "framework_ms": statistics.median(b) * 1000,
                "handler_ms": statistics.median(h) * 1000,
                "framework_min_ms": min(b) * 1000,
                "handler_min_ms": min(h) * 1000,
                "ratio": statistics.median(x / y for x, y in zip(h, b, strict=True)),
                "ratio_of_minima": min(h) / min(b),
                "heavy": sorted(heavy[name]),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench coldstart")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--only", default="", help="comma-separated function names (default: all)")
    args = parser.parse_args(argv)
    only = [f for f in args.only.split(",") if f] or None
    rows = measure(args.runs, only)
    print(
        f"Cold start, {args.runs} pairs of fresh interpreters per function (framework = `{FRAMEWORK}`);\n"
        "ratio = median of the paired ratios handler/framework; min ratio = handler min / framework min\n"
    )
    print("| function | framework ms (med / min) | handler ms (med / min) | ratio | min ratio | heavy |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        names = ", ".join(r["heavy"]) or "none"  # type: ignore[arg-type]
        print(
            f"| {r['function']} | {r['framework_ms']:.0f} / {r['framework_min_ms']:.0f} "
            f"| {r['handler_ms']:.0f} / {r['handler_min_ms']:.0f} "
            f"| {r['ratio']:.2f} | {r['ratio_of_minima']:.2f} | {names} |"
        )


if __name__ == "__main__":
    main()
