"""One `cdk synth` per test run, through the pinned CDK CLI, exactly as `make synth` does it.

The tests read the synthesized template as plain JSON: aws_cdk is never imported in the test
process. cdk-nag runs inside the synth; an unacknowledged finding fails the synth, and so the
fixture, loudly, with the CLI's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


@pytest.fixture(scope="session")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthesize the app once into a fresh directory and return that directory."""
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

    outdir = tmp_path_factory.mktemp("cdk.out")
    cmd = [str(CDK_CLI), "synth", "--quiet", "--no-notices", "-o", str(outdir)]
    if not (REPO / ".venv" / "bin" / "python").exists():
        # cdk.json runs the venv's interpreter; elsewhere, use the one running the tests.
        cmd += ["--app", f"{sys.executable} -m infra.cdk.app"]
    started = time.monotonic()
    _run(cmd, env, "cdk synth")
    _timing["synth_seconds"] = time.monotonic() - started
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
            f"infra: cdk synth took {_timing['synth_seconds']:.1f}s; "
            f"stack has {int(_timing.get('resources', 0))} resources"
        )
