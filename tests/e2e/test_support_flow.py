"""Support measures over real HTTP on the local stack (`make run`): a premium registrant applies
for a lodging subsidy with a PDF receipt; the coordinator asks for more information, the applicant
amends, the coordinator approves; the export lists it before payment; the payment is recorded;
the report's figures match at every step."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pytest
import requests

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
MATSUE = "322016"  # 松江市: the other stories use 飛騨市 and 高山市 for their counts
START = datetime.fromisoformat("2027-06-01T10:00:00+09:00")
RECEIPT = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + "領収書 宿泊費 12,000円".encode() * 20


@pytest.fixture
def clock_reset(stack: StackClient) -> Iterator[None]:
    yield
    stack.reset_clock()


def _premium_registrant(stack: StackClient) -> str:
    person = stack.token("e2e-support-person", "registrant")
    stack.set_clock(START.isoformat())
    facts = {
        "subject": "e2e-support-subject",
        "name": "松江 花子",
        "birth_date": "1985-07-07",
        "gender": "female",
        "address": "東京都新宿区西新宿2-8-1",
    }
    assert stack.verify_identity(person, facts).status_code == 201
    staff = stack.token("e2e-support-activities", "staff", lg_code=MATSUE, staff_role="coordinator")
    for i in range(3):
        starts = START + timedelta(days=i)
        stack.set_clock((starts - timedelta(minutes=30)).isoformat())
        created = stack.post(
            f"/v1/admin/lgs/{MATSUE}/activities",
            token=staff,
            json={
                "name": f"堀川清掃 {i}",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "place": "松江城",
                "designated": True,
            },
        )
        assert created.status_code == 201, created.text
        qr = stack.get(
            f"/v1/admin/lgs/{MATSUE}/activities/{created.json()['activity_id']}/qr",
            token=staff,
            params={"format": "json"},
        ).json()
        scan = stack.post(
            "/v1/checkins", token=person, json={"token": qr["token"], "nonce": f"e2e-support-{i}-nonce"}
        )
        assert scan.status_code == 201, scan.text
    stack.set_clock((START + timedelta(days=4)).isoformat())
    premium = stack.put(
        f"/v1/me/registrations/{MATSUE}",
        token=person,
        json={"plan": "premium", "survey_answers": {"relationship": ["観光・訪問"]}},
    )
    assert premium.status_code in (200, 201) and premium.json()["plan"] == "premium", premium.text
    return person


def _upload_receipt(stack: StackClient, person: str) -> str:
    created = stack.post(
        "/v1/me/uploads",
        token=person,
        json={"purpose": "support_document", "content_type": "application/pdf", "size": len(RECEIPT)},
    )
    assert created.status_code == 201, created.text
    form = created.json()["upload"]
    sent = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("receipt.pdf", RECEIPT, "application/pdf")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return str(created.json()["upload_key"])


def _report(stack: StackClient, staff: str, measure_id: str) -> dict[str, Any]:
    reply = stack.get(f"/v1/admin/lgs/{MATSUE}/support-measures/{measure_id}/report", token=staff)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _export(stack: StackClient, staff: str) -> list[tuple[object, ...]]:
    reply = stack.get(
        f"/v1/admin/lgs/{MATSUE}/support-applications/export",
        token=staff,
        params={"status": "approved"},
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert reply.status_code == 200, reply.text
    data = reply.content
    if not data.startswith(b"PK"):
        data = base64.b64decode(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_the_support_story(stack: StackClient, clock_reset: None) -> None:
    person = _premium_registrant(stack)
    coordinator = stack.token("e2e-support-coordinator", "staff", lg_code=MATSUE, staff_role="coordinator")

    measure = stack.post(
        f"/v1/admin/lgs/{MATSUE}/support-measures",
        token=coordinator,
        json={
            "name": "ふるさと住民 宿泊費補助",
            "description": "活動で松江に泊まる方の宿泊費を半額補助",
            "category": "lodging_subsidy",
            "eligibility": "premium",
            "delivery": "in_area",
            "opens_on": "2027-04-01",
            "closes_on": "2028-03-31",
            "rate_percent": 50,
            "max_per_application": 10_000,
            "max_per_person_per_fiscal_year": 30_000,
            "budget_total": 500_000,
            "required_documents": ["領収書"],
            "status": "open",
        },
    )
    assert measure.status_code == 201, measure.text
    measure_id = measure.json()["measure_id"]
    public = stack.get(f"/v1/local-governments/{MATSUE}/support-measures").json()["items"]
    assert measure_id in [m["measure_id"] for m in public] and "budget" not in public[0]

    receipt = _upload_receipt(stack, person)
    applied = stack.post(
        "/v1/me/support-applications",
        token=person,
        headers={"Idempotency-Key": "e2e-support-apply"},
        json={
            "measure_id": measure_id,
            "amount_requested": 6_000,
            "expenses": 12_000,
            "details": "6月2日 松江市内に1泊",
            "attachment_keys": [receipt],
        },
    )
    assert applied.status_code == 201, applied.text
    application_id = applied.json()["application_id"]
    base = f"/v1/admin/lgs/{MATSUE}/support-applications/{application_id}"

    seen = stack.get(base, token=coordinator).json()
    assert seen["status"] == "submitted"
    assert requests.get(seen["documents"][0]["url"], timeout=30).content == RECEIPT

    asked = stack.post(
        f"{base}/decision",
        token=coordinator,
        json={"decision": "request_info", "reason": "宿泊日の分かる領収書を"},
    )
    assert asked.status_code == 200 and asked.json()["status"] == "info_requested", asked.text
    second = _upload_receipt(stack, person)
    amended = stack.request(
        "PATCH",
        f"/v1/me/support-applications/{application_id}",
        token=person,
        json={"details": "6月2日 宿泊（日付入り領収書を添付）", "attachment_keys": [receipt, second]},
    )
    assert amended.status_code == 200 and amended.json()["status"] == "submitted", amended.text
    approved = stack.post(f"{base}/decision", token=coordinator, json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["amount_granted"] == 6_000, approved.text

    report = _report(stack, coordinator, measure_id)
    assert (report["approved"], report["paid"], report["remaining"]) == (6_000, 0, 494_000)
    rows = _export(stack, coordinator)
    assert [(r[0], r[3], r[4]) for r in rows] == [(application_id, "松江 花子", 6_000)]

    paid = stack.post(
        f"{base}/payment", token=coordinator, json={"paid_on": "2027-06-05", "reference": "振込 0605-01"}
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    report = _report(stack, coordinator, measure_id)
    assert (report["approved"], report["paid"], report["remaining"]) == (6_000, 6_000, 494_000)
    assert report["applications"]["paid"] == 1 and sum(report["applications"].values()) == 1
    assert _export(stack, coordinator) == []

    mine = stack.get("/v1/me/support-applications", token=person).json()["items"]
    assert [(a["application_id"], a["status"]) for a in mine] == [(application_id, "paid")]
    deadline = time.monotonic() + 10
    kinds: list[str] = []
    while time.monotonic() < deadline:
        kinds = [n["kind"] for n in stack.get("/v1/me/notifications", token=person).json()["items"]]
        if kinds.count("support_decided") == 2:
            break
        time.sleep(0.3)
    assert kinds.count("support_decided") == 2 and "upload_rejected" not in kinds
