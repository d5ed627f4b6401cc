"""Post-deploy smoke check: walk a deployed stage as a client would (`make smoke URL=...`).

    python scripts/smoke.py --url https://api.example.jp [--token ID_TOKEN --lg-code 212172]

Without a token: health, the directory, one government's page, and the refusal of a registrant
route without a token (401 in the contract's error shape). With a registrant's ID token (from the
app's user pool): the registrant story too: read /v1/me, register (basic) with `--lg-code`,
find the registration in the list, and withdraw it again, leaving the account as it was.
Exits 1 at the first step that fails, naming it. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 15


class SmokeFailure(Exception):
    pass


def request(
    base: str, method: str, path: str, *, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def expect(step: str, status: int, body: Any, wanted: int | tuple[int, ...]) -> Any:
    allowed = (wanted,) if isinstance(wanted, int) else wanted
    if status not in allowed:
        raise SmokeFailure(f"{step}: expected {allowed}, got {status}: {str(body)[:300]}")
    print(f"ok   {step} ({status})")
    return body


def walk(base: str, token: str | None, lg_code: str | None) -> None:
    expect("GET /health", *request(base, "GET", "/health"), 200)
    directory = expect("GET /v1/local-governments", *request(base, "GET", "/v1/local-governments"), 200)
    items = directory.get("items") if isinstance(directory, dict) else None
    if not items:
        raise SmokeFailure("GET /v1/local-governments: no onboarded government is listed")
    first = lg_code or items[0]["lg_code"]
    expect(f"GET /v1/local-governments/{first}", *request(base, "GET", f"/v1/local-governments/{first}"), 200)
    status, body = request(base, "GET", "/v1/me")
    expect("GET /v1/me without a token is refused", status, body, 401)
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]):
        raise SmokeFailure(f"GET /v1/me without a token: not the contract's error shape: {body!r}")
    if not token:
        print("skip registrant story (no --token)")
        return
    me = expect("GET /v1/me", *request(base, "GET", "/v1/me", token=token), 200)
    held = {r["lg_code"] for r in me.get("registrations", [])}
    if first in held:
        print(f"skip register/withdraw: the account is already registered with {first}")
        return
    page = request(base, "GET", f"/v1/local-governments/{first}")[1]
    answers = _minimal_answers(page.get("survey", []))
    expect(
        f"PUT /v1/me/registrations/{first}",
        *request(
            base,
            "PUT",
            f"/v1/me/registrations/{first}",
            token=token,
            body={"plan": "basic", "survey_answers": answers},
        ),
        (200, 201),
    )
    listed = expect(
        "GET /v1/me/registrations", *request(base, "GET", "/v1/me/registrations", token=token), 200
    )
    if not any(r["lg_code"] == first and r["status"] == "active" for r in listed["items"]):
        raise SmokeFailure(f"GET /v1/me/registrations: {first} is not listed as active")
    # Also withdraws an automatic prefecture registration added with it (rule 3).
    expect(
        f"DELETE /v1/me/registrations/{first}",
        *request(base, "DELETE", f"/v1/me/registrations/{first}", token=token),
        204,
    )


def _minimal_answers(survey: list[dict[str, Any]]) -> dict[str, Any]:
    """The first option of every required question: enough to register."""
    answers: dict[str, Any] = {}
    for question in survey:
        if not question.get("required"):
            continue
        options = question.get("options") or []
        kind = question.get("type")
        if kind == "single_choice" and options:
            answers[question["id"]] = options[0]
        elif kind == "multi_choice" and options:
            answers[question["id"]] = [options[0]]
        elif kind == "number":
            answers[question["id"]] = 1
        else:
            answers[question["id"]] = "smoke check"
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="the stage's base URL (API or custom domain)")
    parser.add_argument("--token", help="a registrant's ID token, for the registrant story")
    parser.add_argument("--lg-code", help="the government to register with (default: the first listed)")
    args = parser.parse_args(argv)
    try:
        walk(args.url, args.token, args.lg_code)
    except SmokeFailure as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    print("smoke check passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
