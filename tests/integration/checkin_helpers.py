"""Builders for the check-in tests: organizations, activities, tokens and scans."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

import pytest

from furusato import clock
from furusato.clock import JST
from furusato.domain import tokens
from furusato.store import keyring
from infra.local import aws
from tests.support.lambda_api import Reply, call
from tests.support.world import admin, person

HIDA, TAKAYAMA, GIFU = "212172", "212032", "210005"
# The business clock of most tests: 30 minutes before a 10:00-12:00 activity.
NOW = datetime(2026, 5, 10, 9, 30, tzinfo=JST)
STARTS, ENDS = "2026-05-10T10:00:00+09:00", "2026-05-10T12:00:00+09:00"
_nonces = itertools.count(1)


def instant_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliver the table's stream after each activity change, as the event source mapping would
    a moment later: the records' copies follow (capabilities.activity_copies)."""
    from furusato.store import activities as store
    from tests.support.streams import deliver

    for name in ("update_activity", "designate"):
        write = getattr(store, name)

        def write_and_deliver(*args: Any, write: Any = write, **kwargs: Any) -> None:
            write(*args, **kwargs)
            deliver()

        monkeypatch.setattr(store, name, write_and_deliver)


def nonce() -> str:
    return f"nonce-{next(_nonces):08d}"


def at(instant: datetime | str) -> None:
    clock.freeze(datetime.fromisoformat(instant) if isinstance(instant, str) else instant)


def org(
    lg_code: str = HIDA, designation: str = "per_activity", name: str = "飛騨市観光協会"
) -> dict[str, Any]:
    reply = call(
        "POST",
        f"/v1/admin/lgs/{lg_code}/organizations",
        {"name": name, "kind": "dmo", "designation": designation},
        claims=admin(lg_code),
    )
    assert reply.status == 201, reply
    return dict(reply.body)


def activity(lg_code: str = HIDA, claims: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "雪かきボランティア",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "place": "古川町公民館",
        "designated": True,
        **fields,
    }
    reply = call("POST", f"/v1/admin/lgs/{lg_code}/activities", body, claims=claims or admin(lg_code))
    assert reply.status == 201, reply
    return dict(reply.body)


def static_token(lg_code: str, activity_id: str) -> str:
    reply = call(
        "GET",
        f"/v1/admin/lgs/{lg_code}/activities/{activity_id}/qr",
        query={"format": "json"},
        claims=admin(lg_code),
    )
    assert reply.status == 200, reply
    return str(reply.body["token"])


def live_token(lg_code: str, activity_id: str) -> str:
    reply = call("GET", f"/v1/admin/lgs/{lg_code}/activities/{activity_id}/live-token", claims=admin(lg_code))
    assert reply.status == 200, reply
    return str(reply.body["token"])


def member_token(sub: str) -> str:
    reply = call("GET", "/v1/me/card", claims=person(sub))
    assert reply.status == 200, reply
    return str(reply.body["member_token"])


def scan(sub: str, token: str, scanned_at: str | None = None, **kwargs: Any) -> Reply:
    body: dict[str, Any] = {"token": token, "nonce": nonce()}
    if scanned_at is not None:
        body["scanned_at"] = scanned_at
    return call("POST", "/v1/checkins", body, claims=person(sub), **kwargs)


def staff_scan(lg_code: str, activity_id: str, token: str, claims: dict[str, str] | None = None) -> Reply:
    return call(
        "POST",
        f"/v1/admin/lgs/{lg_code}/activities/{activity_id}/checkins",
        {"member_token": token, "nonce": nonce()},
        claims=claims or admin(lg_code, "coordinator"),
    )


def set_keyring(endpoint_url: str, document: dict[str, str]) -> None:
    """Replace the signing keyring in (moto) Secrets Manager and drop the cached copy."""
    import os

    from furusato import topology

    sm = aws.client("secretsmanager", endpoint_url)
    sm.put_secret_value(SecretId=os.environ[topology.TOKEN_KEYS.env_var], SecretString=json.dumps(document))
    keyring.invalidate()


def current_keyring_document(endpoint_url: str) -> dict[str, str]:
    import os

    from furusato import topology

    sm = aws.client("secretsmanager", endpoint_url)
    raw = sm.get_secret_value(SecretId=os.environ[topology.TOKEN_KEYS.env_var])["SecretString"]
    return dict(json.loads(raw))


def ring() -> tokens.Keyring:
    return keyring.current()
