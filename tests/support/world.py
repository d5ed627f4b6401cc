"""Small builders for integration tests: onboarded governments, people, registrations."""

from __future__ import annotations

from typing import Any

from tests.support.lambda_api import Reply, call, operator_claims, registrant_claims, staff_claims

GOVERNMENTS = {
    "130001": ("東京都", "prefecture"),
    "131041": ("新宿区", "municipality"),
    "210005": ("岐阜県", "prefecture"),
    "212032": ("高山市", "municipality"),
    "212172": ("飛騨市", "municipality"),
    "320005": ("島根県", "prefecture"),
    "322016": ("松江市", "municipality"),
}
RELATIONSHIP = {"relationship": ["観光・訪問"]}


def onboard(*codes: str) -> None:
    for code in codes or tuple(GOVERNMENTS):
        name, kind = GOVERNMENTS[code]
        reply = call(
            "POST",
            "/v1/operator/lgs",
            {"lg_code": code, "name": name, "kind": kind, "prefecture_code": code[:2]},
            claims=operator_claims(),
        )
        assert reply.status == 201, reply


def admin(lg_code: str, role: str = "admin", org_id: str | None = None) -> dict[str, str]:
    """Claims of a staff member of `lg_code`, whose staff record (what the route guard checks)
    is created on first use, as the operator or the government's admin would have."""
    sub = f"staff-{lg_code}-{role}" + (f"-{org_id}" if org_id else "")
    enrol_staff(sub, lg_code, role, org_id)
    return staff_claims(sub, lg_code, role, org_id)


def enrol_staff(sub: str, lg_code: str, role: str, org_id: str | None = None) -> None:
    from furusato.domain.staff import StaffMember
    from furusato.store import staff

    staff.create(
        StaffMember(
            staff_id=sub,
            lg_code=lg_code,
            staff_role=role,
            org_id=org_id,
            email=None,
            created_at="2026-04-01T09:00:00+09:00",
            created_by="tests",
        )
    )


def person(sub: str) -> dict[str, str]:
    return registrant_claims(sub)


def set_profile(sub: str, postal_code: str = "160-0022", **overrides: Any) -> Reply:
    body = {
        "name": "山田 花子",
        "birth_date": "1990-04-01",
        "gender": "female",
        "postal_code": postal_code,
        "address": "新宿1-1-1",
        **overrides,
    }
    return call("PUT", "/v1/me/profile", body, claims=person(sub))


def identity_nonce(sub: str) -> str:
    """The nonce of one identity verification attempt of `sub` (the assertion must carry it)."""
    reply = call("POST", "/v1/me/identity-verifications/nonce", claims=person(sub))
    assert reply.status == 201, reply
    return str(reply.body["nonce"])


def register(sub: str, lg_code: str, answers: dict[str, Any] | None = None, **kwargs: Any) -> Reply:
    body = {"plan": "basic", "survey_answers": RELATIONSHIP if answers is None else answers}
    return call("PUT", f"/v1/me/registrations/{lg_code}", body, claims=person(sub), **kwargs)


def registrations(sub: str) -> dict[str, dict[str, Any]]:
    reply = call("GET", "/v1/me/registrations", claims=person(sub))
    assert reply.status == 200, reply
    return {item["lg_code"]: item for item in reply.body["items"]}
