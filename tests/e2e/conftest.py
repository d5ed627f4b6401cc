"""The local stack as `make run` starts it, in a subprocess, walked over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.aws import free_port
from tests.support import contract

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60
# Request fields that hold personal data or credentials: none of their values may reach a log.
PERSONAL_FIELDS = frozenset(
    {"name", "address", "birth_date", "guardian_name", "email", "assertion", "token", "member_token"}
)


def _personal_values(value: Any, into: set[str], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _personal_values(v, into, str(k))
    elif isinstance(value, list):
        for v in value:
            _personal_values(v, into, key)
    elif isinstance(value, str) and key in PERSONAL_FIELDS and len(value.strip()) >= 4:
        into.add(value)


@dataclass
class StackClient:
    base_url: str
    moto_url: str
    log_path: Path
    http: requests.Session = field(default_factory=requests.Session)
    # Every name, birth date, address and token the stories sent or received.
    personal: set[str] = field(default_factory=set)
    # Every exchange is checked against docs/openapi.json (tests/support/contract.py).
    checked: bool = True

    def request(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
            self.personal.add(token)
        _personal_values(json, self.personal)
        response = self.http.request(
            method, self.base_url + path, json=json, headers=headers, **{"timeout": 30, **kwargs}
        )
        if self.checked:
            contract.check(response)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            try:
                _personal_values(response.json(), self.personal)
            except ValueError:
                pass
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def token(self, sub: str, role: str, **claims: Any) -> str:
        """An ID token from the stack's stand-in user pools (`lg_code`, `staff_role`, `org_id`)."""
        response = self.post("/local/token", json={"sub": sub, "role": role, **claims})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    def verify_identity(self, token: str, facts: dict[str, Any]) -> requests.Response:
        """One identity verification as the app does it: a nonce, the provider's assertion carrying
        it (the local stand-in signs it), then the verification."""
        nonce = self.post("/v1/me/identity-verifications/nonce", token=token)
        assert nonce.status_code == 201, nonce.text
        signed = self.post("/local/identity-assertion", json={**facts, "nonce": nonce.json()["nonce"]})
        assert signed.status_code == 200, signed.text
        return self.post("/v1/me/identity-verifications", token=token, json=signed.json())

    def set_clock(self, instant: str) -> None:
        response = self.put("/local/clock", json={"now": instant})
        assert response.status_code == 200, response.text

    def reset_clock(self) -> None:
        response = self.delete("/local/clock")
        assert response.status_code == 200, response.text

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the local stack exited with {process.returncode}:\n{log_path.read_text(errors='replace')}"
            )
        try:
            response = requests.get(base_url + "/health", timeout=2)
        except requests.RequestException:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
        if response.status_code == 501:
            # Up, but the registration function is not written yet: test_health reports that.
            return
        time.sleep(0.2)
    pytest.fail(
        f"/health did not answer 200 within {STARTUP_TIMEOUT_S}s:\n{log_path.read_text(errors='replace')}"
    )


@pytest.fixture(scope="package")
def stack() -> Iterator[StackClient]:
    """`python -m infra.local --port P --moto-port M` (what `make run` runs), up until the last test
    of the package ends: its pollers would otherwise take CPU from the tests that follow."""
    yield from running_stack()


@pytest.fixture
def keep_government(stack: StackClient) -> Iterator[Callable[[str], None]]:
    """`keep_government(lg_code)` before a story changes a seeded government's survey or settings:
    both are put back when the story ends, so the stories sharing the stack find the seed's."""
    kept: list[tuple[str, str, Any, Any]] = []

    def keep(lg_code: str) -> None:
        admin = stack.token(f"e2e-keeper-{lg_code}", "staff", lg_code=lg_code, staff_role="admin")
        survey = stack.get(f"/v1/admin/lgs/{lg_code}/survey", token=admin)
        settings = stack.get(f"/v1/admin/lgs/{lg_code}/settings", token=admin)
        assert survey.status_code == settings.status_code == 200, (survey.text, settings.text)
        kept.append((lg_code, admin, survey.json(), settings.json()))

    yield keep
    for lg_code, admin, survey, settings in reversed(kept):
        restored = stack.put(f"/v1/admin/lgs/{lg_code}/survey", token=admin, json=survey)
        assert restored.status_code == 200, restored.text
        restored = stack.put(f"/v1/admin/lgs/{lg_code}/settings", token=admin, json=settings)
        assert restored.status_code == 200, restored.text


def running_stack() -> Iterator[StackClient]:
    """A local stack in a subprocess for as long as the generator runs; its log is checked for
    personal data when it stops."""
    port, moto_port = free_port(), free_port()
    while moto_port == port:
        moto_port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="furusato-e2e-"))
    log_path = log_dir / "stack.log"
    command = [sys.executable, "-m", "infra.local", "--port", str(port), "--moto-port", str(moto_port)]
    with log_path.open("wb") as log_file:
        # A file, not a pipe: a pipe nobody reads would fill and block the stack.
        process = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base_url, log_path)
        client = StackClient(base_url, f"http://127.0.0.1:{moto_port}", log_path)
        yield client
        client.http.close()
        # Logs never hold personal data: whatever the stories sent, the log is clean.
        text = client.log_text()
        leaked = sorted(v for v in client.personal if v in text)
        assert not leaked, f"the stack's log holds {len(leaked)} personal values, e.g. {leaked[0][:12]}..."
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
