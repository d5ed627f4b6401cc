"""One `cdk synth` per test run, through the pinned CDK CLI, exactly as `make synth` does it.

The tests read the synthesized template as plain JSON: aws_cdk is never imported in the test
process. cdk-nag runs inside the synth; an unacknowledged finding fails the synth, and so the
fixture, loudly, with the CLI's output.

The synth takes minutes of Node and Python. It starts in the background as soon as collection
shows a test that needs it, so it runs beside the tests collected before these (the browser and
e2e tests, which leave a core idle much of the time) rather than after them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CDK_CLI = REPO / "node_modules" / ".bin" / "cdk"
SYNTH_TIMEOUT_S = 900

_timing: dict[str, float] = {}


def _run(cmd: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    return proc


def _synthesize(outdir: Path) -> Path:
    """Synthesize the app into `outdir` and return it."""
    if not CDK_CLI.exists():
        pytest.fail(f"{CDK_CLI} is missing: run `npm ci` (make does it)", pytrace=False)
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # The dependency layer is an asset of the app; this is a no-op when it is up to date.
    _run([sys.executable, "scripts/build_deps_layer.py"], env, "building the dependency layer")
    # The built console is an asset too (make builds it; build it here when it is missing).
    if not (REPO / "console" / "dist" / "index.html").is_file():
        _run(["make", "console"], env, "building the console")

    cmd = [str(CDK_CLI), "synth", "--quiet", "--no-notices", "-o", str(outdir)]
    if not (REPO / ".venv" / "bin" / "python").exists():
        # cdk.json runs the venv's interpreter; elsewhere, use the one running the tests.
        cmd += ["--app", f"{sys.executable} -m infra.cdk.app"]
    started = time.monotonic()
    _run(cmd, env, "cdk synth")
    _timing["synth_seconds"] = time.monotonic() - started
    return outdir


_synth: Future[Path] | None = None
_outdir: Path | None = None


def _start_synth() -> Future[Path]:
    global _synth, _outdir
    if _synth is None:
        synth: Future[Path] = Future()
        outdir = Path(tempfile.mkdtemp(prefix="furusato-cdk.out-"))

        def work() -> None:
            try:
                synth.set_result(_synthesize(outdir))
            except BaseException as exc:  # pytest.fail's exception too: the fixture raises it
                synth.set_exception(exc)

        _synth, _outdir = synth, outdir
        threading.Thread(target=work, name="cdk-synth", daemon=True).start()
    return _synth


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    if any("cloud_assembly" in getattr(item, "fixturenames", ()) for item in session.items):
        _start_synth()


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The assembly holds a copy of every asset (the dependency layer alone is ~100 MB).
    if _synth is not None and _outdir is not None:
        _synth.exception()  # waits for a synth no test waited for (an interrupted run)
        shutil.rmtree(_outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def cloud_assembly() -> Path:
    """The directory the app was synthesized into (once per run, started at collection)."""
    started = time.monotonic()
    outdir = _start_synth().result()
    _timing["waited_seconds"] = time.monotonic() - started
    return outdir


def _stack_artifact(outdir: Path) -> dict[str, Any]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert len(stacks) == 1, f"expected one stack in the app, found {len(stacks)}"
    artifact: dict[str, Any] = stacks[0]
    return artifact


@pytest.fixture(scope="session")
def template(cloud_assembly: Path) -> dict[str, Any]:
    artifact = _stack_artifact(cloud_assembly)
    loaded: dict[str, Any] = json.loads((cloud_assembly / artifact["properties"]["templateFile"]).read_text())
    _timing["resources"] = len(loaded.get("Resources", {}))
    return loaded


@pytest.fixture(scope="session")
def assets_manifest(cloud_assembly: Path) -> dict[str, Any]:
    artifact = _stack_artifact(cloud_assembly)
    asset_files = [
        cloud_assembly / a["properties"]["file"]
        for a in json.loads((cloud_assembly / "manifest.json").read_text())["artifacts"].values()
        if a["type"] == "cdk:asset-manifest" and a["properties"]["file"].startswith(artifact["displayName"])
    ]
    assert len(asset_files) == 1, asset_files
    loaded: dict[str, Any] = json.loads(asset_files[0].read_text())
    return loaded


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
    return context


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "synth_seconds" in _timing:
        terminalreporter.write_line(
            f"infra: cdk synth took {_timing['synth_seconds']:.1f}s "
            f"(the tests waited {_timing.get('waited_seconds', 0):.1f}s for it); "
            f"stack has {int(_timing.get('resources', 0))} resources"
        )
