"""The post-deploy smoke check (`make smoke URL=...`) walks the local stack as it would a stage."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.conftest import ROOT, StackClient


def _smoke(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "scripts" / "smoke.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_smoke_check_passes_against_a_healthy_stack(stack: StackClient) -> None:
    token = stack.token("smoke-1", "registrant")
    done = _smoke("--url", stack.base_url, "--token", token, "--lg-code", "212172")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   PUT /v1/me/registrations/212172" in done.stdout
    assert "ok   DELETE /v1/me/registrations/212172" in done.stdout
    # It left the account as it found it: the registration is withdrawn again.
    items = stack.get("/v1/me/registrations", token=token).json()["items"]
    assert all(item["status"] == "withdrawn" for item in items)


def test_the_smoke_check_fails_and_names_the_step(stack: StackClient) -> None:
    done = _smoke("--url", stack.base_url + "/nowhere")
    assert done.returncode == 1
    assert "FAIL GET /health" in done.stderr
