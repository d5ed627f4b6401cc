"""Builders for support-measure tests: a government, registrants of a plan, measures, uploads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import requests

from furusato import clock
from furusato.domain.profile import Profile
from furusato.domain.registration import Registration
from furusato.store import people
from tests.support.lambda_api import Reply, call
from tests.support.world import admin, onboard, person

HIDA, TAKAYAMA = "212172", "212032"
PDF = b"%PDF-1.7\n" + b"receipt " * 64


def at(instant: str) -> None:
    clock.freeze(datetime.fromisoformat(instant))


def registrant(
    sub: str, lg_code: str = HIDA, *, plan: str = "premium", status: str = "active", name: str = "山田 花子"
) -> None:
    """A verified person living in 新宿区 with one registration, written through the store."""
    reg = Registration(
        registration_id=f"reg-{sub}-{lg_code}",
        lg_code=lg_code,
        plan=plan,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        own_residence=False,
        auto_created=False,
        registered_at="2027-04-01T10:00:00+09:00",
        survey_answers={"relationship": ["観光・訪問"]},
        premium_valid_until="2028-04-01" if plan == "premium" else None,
    )
    profile = Profile(name, date(1990, 4, 1), "female", "1600022", "新宿1-1-1", "131041")
    identity = people.Identity("2027-04-01T10:00:00+09:00", f"idkey-{sub}", False, None)
    people.save(people.load(sub), [reg], profile=profile, identity=identity)


MEASURE = {
    "name": "ふるさと住民 宿泊費補助",
    "description": "活動のための宿泊費の半額を補助します",
    "category": "lodging_subsidy",
    "eligibility": "premium",
    "delivery": "in_area",
    "opens_on": "2027-04-01",
    "closes_on": "2028-03-31",
    "rate_percent": 100,
    "max_per_application": 10_000,
    "max_per_person_per_fiscal_year": 30_000,
    "budget_total": 100_000,
    "required_documents": ["領収書"],
    "status": "open",
}


def new_measure(lg_code: str = HIDA, **changes: Any) -> dict[str, Any]:
    reply = call(
        "POST", f"/v1/admin/lgs/{lg_code}/support-measures", {**MEASURE, **changes}, claims=admin(lg_code)
    )
    assert reply.status == 201, reply
    return dict(reply.body)


def apply(sub: str, measure_id: str, amount: int = 10_000, **extra: Any) -> Reply:
    body = {"measure_id": measure_id, "amount_requested": amount, "details": "飛騨古川で草刈り", **extra}
    headers = extra.pop("headers", None) if "headers" in extra else None
    return call("POST", "/v1/me/support-applications", body, claims=person(sub), headers=headers)


def decide(
    application_id: str,
    decision: str = "approve",
    lg_code: str = HIDA,
    role: str = "coordinator",
    **extra: Any,
) -> Reply:
    return call(
        "POST",
        f"/v1/admin/lgs/{lg_code}/support-applications/{application_id}/decision",
        {"decision": decision, **extra},
        claims=admin(lg_code, role),
    )


def upload(sub: str, data: bytes = PDF, content_type: str = "application/pdf") -> str:
    """An uploaded support document (stored; the trigger's check runs when it is attached)."""
    reply = call(
        "POST",
        "/v1/me/uploads",
        {"purpose": "support_document", "content_type": content_type, "size": len(data)},
        claims=person(sub),
    )
    assert reply.status == 201, reply
    form = reply.body["upload"]
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("r", data, content_type)}, timeout=30
    )
    assert posted.status_code < 300
    return str(reply.body["upload_key"])


def world() -> None:
    onboard(HIDA, TAKAYAMA)
    at("2027-05-10T10:00:00+09:00")
