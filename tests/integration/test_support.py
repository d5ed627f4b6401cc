"""Support measures and applications through the support function's real lambda_handler."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
import requests

from furusato import clock
from tests.support.lambda_api import call
from tests.support.support_world import (
    HIDA,
    MEASURE,
    TAKAYAMA,
    apply,
    at,
    decide,
    new_measure,
    registrant,
    upload,
    world,
)
from tests.support.world import admin, person


@pytest.fixture(autouse=True)
def _world() -> None:
    world()


# --- measures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("delivery", ["shipped_goods", "mailed_voucher", "cash_without_visit", "points"])
def test_each_return_gift_delivery_is_refused_and_nothing_stored(delivery: str) -> None:
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/support-measures",
        {**MEASURE, "delivery": delivery},
        claims=admin(HIDA),
    )
    assert reply.status == 400 and reply.error_code == "RETURN_GIFT_NOT_ALLOWED"
    listed = call("GET", f"/v1/admin/lgs/{HIDA}/support-measures", claims=admin(HIDA))
    assert listed.body["items"] == []


def test_an_edit_cannot_turn_a_measure_into_a_return_gift() -> None:
    m = new_measure()
    reply = call(
        "PATCH",
        f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}",
        {"delivery": "shipped_goods"},
        claims=admin(HIDA),
    )
    assert reply.status == 400 and reply.error_code == "RETURN_GIFT_NOT_ALLOWED"


def test_premium_and_basic_only_for_activity_support() -> None:
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/support-measures",
        {**MEASURE, "category": "public_facility_resident_rate", "eligibility": "premium_and_basic"},
        claims=admin(HIDA),
    )
    assert reply.status == 400 and "eligibility" in reply.body["error"]["details"]


def test_the_public_list_shows_open_measures_without_budget_figures() -> None:
    opened = new_measure()
    new_measure(status="draft", name="下書き")
    closed = new_measure(name="終了")
    call(
        "PATCH",
        f"/v1/admin/lgs/{HIDA}/support-measures/{closed['measure_id']}",
        {"status": "closed"},
        claims=admin(HIDA),
    )
    reply = call("GET", f"/v1/local-governments/{HIDA}/support-measures")
    assert reply.status == 200
    assert [m["measure_id"] for m in reply.body["items"]] == [opened["measure_id"]]
    assert "budget" not in reply.body["items"][0] and "budget_total" not in reply.body["items"][0]


def test_a_viewer_reads_measures_but_cannot_create_them() -> None:
    reply = call("POST", f"/v1/admin/lgs/{HIDA}/support-measures", MEASURE, claims=admin(HIDA, "viewer"))
    assert reply.status == 403
    assert call("GET", f"/v1/admin/lgs/{HIDA}/support-measures", claims=admin(HIDA, "viewer")).status == 200


def test_the_budget_cannot_go_below_what_is_approved() -> None:
    registrant("alice")
    m = new_measure()
    app = apply("alice", m["measure_id"], 10_000).body
    decide(app["application_id"])
    path = f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}"
    assert (
        call("PATCH", path, {"budget_total": 9_999}, claims=admin(HIDA)).error_code == "BUDGET_BELOW_APPROVED"
    )
    assert call("PATCH", path, {"budget_total": 10_000}, claims=admin(HIDA)).body["budget"]["remaining"] == 0


# --- applying --------------------------------------------------------------------------------------


def test_a_premium_registrant_applies_with_a_receipt_and_sees_it() -> None:
    registrant("alice")
    m = new_measure()
    key = upload("alice")
    reply = apply("alice", m["measure_id"], 8_000, attachment_keys=[key])
    assert reply.status == 201, reply
    app = reply.body
    assert app["status"] == "submitted" and app["decision"] is None and app["payment"] is None
    assert [d["upload_key"] for d in app["documents"]] == [key]
    mine = call("GET", "/v1/me/support-applications", claims=person("alice")).body["items"]
    assert [a["application_id"] for a in mine] == [app["application_id"]]
    assert requests.get(mine[0]["documents"][0]["url"], timeout=30).content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("plan", "status", "eligibility", "reason"),
    [
        ("basic", "active", "premium", "plan"),
        ("premium", "pending_review", "premium", "status"),
        ("premium", "lapsed", "premium", "status"),
    ],
)
def test_eligibility_is_checked_at_submission(plan: str, status: str, eligibility: str, reason: str) -> None:
    registrant("bob", plan=plan, status=status)
    m = new_measure(eligibility=eligibility)
    reply = apply("bob", m["measure_id"])
    assert reply.status == 409 and reply.error_code == "NOT_ELIGIBLE"
    assert reply.body["error"]["details"]["reason"] == reason


def test_a_basic_registrant_may_apply_for_activity_support_open_to_them() -> None:
    registrant("bob", plan="basic")
    m = new_measure(eligibility="premium_and_basic")
    assert apply("bob", m["measure_id"]).status == 201


def test_someone_not_registered_there_is_not_eligible() -> None:
    registrant("carol", TAKAYAMA)
    m = new_measure()
    reply = apply("carol", m["measure_id"])
    assert reply.error_code == "NOT_ELIGIBLE" and reply.body["error"]["details"]["reason"] == "status"


def test_the_period_is_judged_in_jst_days() -> None:
    registrant("alice")
    m = new_measure(opens_on="2027-06-01", closes_on="2027-06-30")
    at("2027-05-31T23:59:59+09:00")
    assert apply("alice", m["measure_id"]).body["error"]["details"]["reason"] == "period"
    at("2027-05-31T15:00:00+00:00")  # 2027-06-01 00:00 JST
    assert apply("alice", m["measure_id"]).status == 201
    at("2027-06-30T23:59:59+09:00")
    assert apply("alice", m["measure_id"], 1).status == 201
    at("2027-07-01T00:00:00+09:00")
    assert apply("alice", m["measure_id"], 1).body["error"]["details"]["reason"] == "period"


def test_a_closed_measure_takes_no_application() -> None:
    registrant("alice")
    m = new_measure()
    call(
        "PATCH",
        f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}",
        {"status": "closed"},
        claims=admin(HIDA),
    )
    assert apply("alice", m["measure_id"]).error_code == "MEASURE_CLOSED"


def test_amount_rules_at_their_limits() -> None:
    registrant("alice")
    flat = new_measure()
    assert apply("alice", flat["measure_id"], 10_000).status == 201
    over = apply("alice", flat["measure_id"], 10_001)
    assert over.status == 400 and over.error_code == "AMOUNT_OVER_LIMIT"
    half = new_measure(rate_percent=50)
    assert apply("alice", half["measure_id"], 5_000, expenses=10_000).status == 201
    assert apply("alice", half["measure_id"], 5_001, expenses=10_000).error_code == "AMOUNT_OVER_LIMIT"
    missing = apply("alice", half["measure_id"], 5_000)
    assert missing.status == 400 and "expenses" in missing.body["error"]["details"]


def test_the_yearly_maximum_counts_approved_applications_of_the_fiscal_year() -> None:
    registrant("alice")
    m = new_measure(max_per_person_per_fiscal_year=25_000)
    for amount in (10_000, 10_000):
        app = apply("alice", m["measure_id"], amount).body
        assert decide(app["application_id"]).status == 200
    exactly = apply("alice", m["measure_id"], 5_000)
    assert exactly.status == 201  # 25,000 exactly
    over = apply("alice", m["measure_id"], 5_001)
    assert over.error_code == "NOT_ELIGIBLE" and over.body["error"]["details"]["reason"] == "yearly_maximum"
    at("2028-04-01T09:00:00+09:00")  # a new fiscal year: the total starts again
    new_period = new_measure(
        opens_on="2028-04-01", closes_on="2029-03-31", max_per_person_per_fiscal_year=25_000
    )
    assert apply("alice", new_period["measure_id"], 10_000).status == 201


def test_two_submitted_applications_cannot_both_be_approved_past_the_yearly_maximum() -> None:
    registrant("alice")
    m = new_measure(max_per_person_per_fiscal_year=15_000)
    first = apply("alice", m["measure_id"], 10_000).body
    second = apply("alice", m["measure_id"], 10_000).body
    assert decide(first["application_id"]).status == 200
    refused = decide(second["application_id"])
    assert (
        refused.error_code == "NOT_ELIGIBLE"
        and refused.body["error"]["details"]["reason"] == "yearly_maximum"
    )
    assert (
        call("GET", f"/v1/me/support-applications/{second['application_id']}", claims=person("alice")).body[
            "status"
        ]
        == "submitted"
    )


def test_a_double_submitted_application_applies_once() -> None:
    registrant("alice")
    m = new_measure()
    body = {"measure_id": m["measure_id"], "amount_requested": 10_000, "details": "x"}
    first = call(
        "POST",
        "/v1/me/support-applications",
        body,
        claims=person("alice"),
        headers={"Idempotency-Key": "tap-1"},
    )
    again = call(
        "POST",
        "/v1/me/support-applications",
        body,
        claims=person("alice"),
        headers={"Idempotency-Key": "tap-1"},
    )
    assert first.status == again.status == 201
    assert first.body["application_id"] == again.body["application_id"]
    other = call(
        "POST",
        "/v1/me/support-applications",
        {**body, "amount_requested": 9_000},
        claims=person("alice"),
        headers={"Idempotency-Key": "tap-1"},
    )
    assert other.status == 409 and other.error_code == "IDEMPOTENCY_KEY_REUSED"
    assert len(call("GET", "/v1/me/support-applications", claims=person("alice")).body["items"]) == 1
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}/report", claims=admin(HIDA)
    )
    assert report.body["applications"]["submitted"] == 1


def test_documents_of_someone_else_cannot_be_attached() -> None:
    registrant("alice")
    registrant("bob")
    m = new_measure()
    bobs = upload("bob")
    reply = apply("alice", m["measure_id"], attachment_keys=[bobs])
    assert reply.status == 400 and "attachment_keys[0]" in reply.body["error"]["details"]


def test_a_disguised_document_is_refused_removed_and_the_person_told() -> None:
    registrant("alice")
    m = new_measure()
    key = upload("alice", b"<html><script>alert(1)</script>" * 4, "application/pdf")
    reply = apply("alice", m["measure_id"], attachment_keys=[key])
    assert reply.status == 400 and "attachment_keys[0]" in reply.body["error"]["details"]
    kinds = [n["kind"] for n in call("GET", "/v1/me/notifications", claims=person("alice")).body["items"]]
    assert kinds == ["upload_rejected"]


# --- reading other people's things ----------------------------------------------------------------


def test_a_registrant_cannot_read_or_amend_another_registrants_application() -> None:
    registrant("alice")
    registrant("mallory")
    m = new_measure()
    app = apply("alice", m["measure_id"], attachment_keys=[upload("alice")]).body
    path = f"/v1/me/support-applications/{app['application_id']}"
    assert call("GET", path, claims=person("mallory")).status == 404
    assert call("PATCH", path, {"details": "x"}, claims=person("mallory")).status == 404
    assert call("GET", "/v1/me/support-applications", claims=person("mallory")).body["items"] == []


def test_another_governments_staff_get_404_on_applications_and_documents() -> None:
    registrant("alice")
    m = new_measure()
    app = apply("alice", m["measure_id"], attachment_keys=[upload("alice")]).body
    other = admin(TAKAYAMA)
    base = f"/v1/admin/lgs/{TAKAYAMA}/support-applications/{app['application_id']}"
    assert call("GET", base, claims=other).status == 404
    assert call("POST", f"{base}/decision", {"decision": "approve"}, claims=other).status == 404
    assert (
        call("POST", f"{base}/payment", {"paid_on": "2027-05-10", "reference": "x"}, claims=other).status
        == 404
    )
    assert call("GET", f"/v1/admin/lgs/{TAKAYAMA}/support-applications", claims=other).body["items"] == []
    assert (
        call("GET", f"/v1/admin/lgs/{TAKAYAMA}/support-measures/{m['measure_id']}", claims=other).status
        == 404
    )
    # and the government's own path is not theirs
    assert call("GET", f"/v1/admin/lgs/{HIDA}/support-applications", claims=other).status == 403


# --- decisions ------------------------------------------------------------------------------------


def test_a_viewer_cannot_decide() -> None:
    registrant("alice")
    app = apply("alice", new_measure()["measure_id"]).body
    reply = decide(app["application_id"], role="viewer")
    assert reply.status == 403
    assert decide(app["application_id"], role="coordinator").status == 200


def test_a_decision_records_who_and_when_and_tells_the_applicant() -> None:
    registrant("alice")
    app = apply("alice", new_measure()["measure_id"]).body
    reply = decide(app["application_id"], amount_granted=9_000)
    assert reply.status == 200
    decided = reply.body
    assert decided["status"] == "approved" and decided["amount_granted"] == 9_000
    assert decided["decision"]["decided_by"] == f"staff-{HIDA}-coordinator"
    assert decided["decision"]["decided_at"] == "2027-05-10T10:00:00+09:00"
    inbox = call("GET", "/v1/me/notifications", claims=person("alice")).body["items"]
    assert [n["kind"] for n in inbox] == ["support_decided"]
    again = decide(app["application_id"], "reject", reason="重複")
    assert again.status == 409 and again.error_code == "NOT_DECIDABLE"


def test_a_rejection_needs_a_reason_that_is_not_blank() -> None:
    registrant("alice")
    app = apply("alice", new_measure()["measure_id"]).body
    blank = decide(app["application_id"], "reject", reason="   ")
    assert blank.status == 400 and "reason" in blank.body["error"]["details"]
    assert (
        decide(app["application_id"], "reject", reason="対象外の宿泊です").body["decision"]["reason"]
        == "対象外の宿泊です"
    )


def test_approval_amounts_stay_within_the_rules() -> None:
    registrant("alice")
    app = apply("alice", new_measure()["measure_id"], 8_000).body
    more = decide(app["application_id"], amount_granted=8_001)
    assert more.status == 400 and more.error_code == "AMOUNT_OVER_LIMIT"


def test_an_amend_after_info_requested() -> None:
    registrant("alice")
    m = new_measure()
    app = apply("alice", m["measure_id"], 8_000).body
    path = f"/v1/me/support-applications/{app['application_id']}"
    assert call("PATCH", path, {"details": "早すぎ"}, claims=person("alice")).error_code == "NOT_AMENDABLE"
    asked = decide(app["application_id"], "request_info", reason="領収書を添付してください")
    assert asked.body["status"] == "info_requested"
    assert decide(app["application_id"], "approve").error_code == "NOT_DECIDABLE"
    key = upload("alice")
    amended = call(
        "PATCH", path, {"details": "領収書を添付しました", "attachment_keys": [key]}, claims=person("alice")
    )
    assert amended.status == 200, amended
    assert amended.body["status"] == "submitted" and amended.body["details"] == "領収書を添付しました"
    assert [d["upload_key"] for d in amended.body["documents"]] == [key]
    assert decide(app["application_id"]).body["status"] == "approved"
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}/report", claims=admin(HIDA)
    ).body
    assert report["applications"]["approved"] == 1 and report["applications"]["info_requested"] == 0


# --- payments, report, export ---------------------------------------------------------------------


def test_a_payment_recorded_twice_is_recorded_once() -> None:
    registrant("alice")
    m = new_measure()
    app = apply("alice", m["measure_id"], 8_000).body
    path = f"/v1/admin/lgs/{HIDA}/support-applications/{app['application_id']}/payment"
    early = call(
        "POST", path, {"paid_on": "2027-05-10", "reference": "振込-001"}, claims=admin(HIDA, "coordinator")
    )
    assert early.status == 409 and early.error_code == "NOT_PAYABLE"
    decide(app["application_id"])
    first = call(
        "POST", path, {"paid_on": "2027-05-10", "reference": "振込-001"}, claims=admin(HIDA, "coordinator")
    )
    assert first.status == 200 and first.body["status"] == "paid"
    assert first.body["payment"]["recorded_by"] == f"staff-{HIDA}-coordinator"
    same = call(
        "POST", path, {"paid_on": "2027-05-10", "reference": "振込-001"}, claims=admin(HIDA, "coordinator")
    )
    assert same.status == 200 and same.body["payment"] == first.body["payment"]
    other = call(
        "POST", path, {"paid_on": "2027-05-10", "reference": "振込-002"}, claims=admin(HIDA, "coordinator")
    )
    assert other.status == 409 and other.error_code == "ALREADY_PAID"
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}/report", claims=admin(HIDA)
    ).body
    assert (report["approved"], report["paid"], report["remaining"]) == (8_000, 8_000, 92_000)
    assert report["applications"]["paid"] == 1 and report["applications"]["approved"] == 0


def test_budget_applications_and_report_agree() -> None:
    m = new_measure()
    outcomes = []
    for i, (amount, decision) in enumerate(
        [(10_000, "approve"), (5_000, "approve"), (7_000, "reject"), (3_000, "request_info"), (4_000, None)]
    ):
        registrant(f"p{i}")
        app = apply(f"p{i}", m["measure_id"], amount).body
        if decision:
            extra = {} if decision == "approve" else {"reason": "理由"}
            assert decide(app["application_id"], decision, **extra).status == 200
        outcomes.append(app["application_id"])
    pay = f"/v1/admin/lgs/{HIDA}/support-applications/{outcomes[0]}/payment"
    call("POST", pay, {"paid_on": "2027-05-10", "reference": "R1"}, claims=admin(HIDA))
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}/report", claims=admin(HIDA)
    ).body
    apps = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = call("GET", f"/v1/admin/lgs/{HIDA}/support-applications", query=query, claims=admin(HIDA)).body
        apps += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    counts = {s: sum(1 for a in apps if a["status"] == s) for s in report["applications"]}
    assert report["applications"] == counts
    assert report["approved"] == sum(
        a["amount_granted"] or 0 for a in apps if a["status"] in ("approved", "paid")
    )
    assert report["paid"] == 10_000 and report["remaining"] == 100_000 - 15_000
    measure = call("GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}", claims=admin(HIDA)).body
    assert measure["budget"] == {"approved": 15_000, "paid": 10_000, "remaining": 85_000}
    by_status = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-applications", query={"status": "approved"}, claims=admin(HIDA)
    )
    assert [a["application_id"] for a in by_status.body["items"]] == [outcomes[1]]


def test_the_export_lists_approved_unpaid_applications_formula_safe_with_japanese_names() -> None:
    from openpyxl import load_workbook

    m = new_measure()
    names = {"eve": '=HYPERLINK("http://x","罠")', "hana": "髙橋　𠮷子", "ken": "@SUM(A1)"}
    ids = {}
    for sub, name in names.items():
        registrant(sub, name=name)
        ids[sub] = apply(sub, m["measure_id"], 5_000, details="+cmd|' /C calc'!A0").body["application_id"]
        decide(ids[sub])
    paid = f"/v1/admin/lgs/{HIDA}/support-applications/{ids['ken']}/payment"
    call("POST", paid, {"paid_on": "2027-05-10", "reference": "R1"}, claims=admin(HIDA))
    reply = call(
        "GET",
        f"/v1/admin/lgs/{HIDA}/support-applications/export",
        query={"status": "approved"},
        claims=admin(HIDA),
    )
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(base64.b64decode(reply.body)), data_only=False).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "申請ID"
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {ids["eve"], ids["hana"]}  # ken is paid
    assert by_id[ids["hana"]][3] == "髙橋　𠮷子"
    assert by_id[ids["eve"]][3] == names["eve"]
    assert by_id[ids["eve"]][4] == 5_000
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            assert cell.data_type != "f", cell.value
    assert (
        call("GET", f"/v1/admin/lgs/{HIDA}/support-applications/export", claims=admin(HIDA, "viewer")).status
        == 403
    )


def test_clock_is_jst() -> None:
    assert clock.iso(clock.now()).endswith("+09:00")


# --- transactions that meet another ----------------------------------------------------------------


def _conflicts(times: int) -> tuple[list[int], Any]:
    """A botocore `before-send` hook answering TransactWriteItems as DynamoDB does when another
    transaction holds an item (cancelled, reason TransactionConflict), `times` times."""
    from botocore.awsrequest import AWSResponse

    class _Raw:
        def __init__(self, body: bytes):
            self._body = body

        def stream(self, **_: Any) -> Any:
            yield self._body

    seen = [0]

    def hook(request: Any, **_: Any) -> Any:
        seen[0] += 1
        if seen[0] > times:
            return None
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                "[None, None, TransactionConflict, None]",
                "CancellationReasons": [
                    {"Code": "None"},
                    {"Code": "None"},
                    {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
                    {"Code": "None"},
                ],
            }
        ).encode()
        headers = {"x-amzn-RequestId": "conflict", "Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 400, headers, _Raw(body))

    return seen, hook


@pytest.mark.parametrize(("conflicts", "status"), [(2, 200), (100, 503)])
def test_an_approval_that_meets_another_transaction_is_retried(conflicts: int, status: int) -> None:
    from furusato.store.models import MainItem

    registrant("alice")
    m = new_measure()
    app = apply("alice", m["measure_id"], 10_000).body
    client = MainItem._get_connection().connection.client
    seen, hook = _conflicts(conflicts)
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", hook)
    try:
        reply = decide(app["application_id"])
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", hook)
    assert reply.status == status, reply
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{m['measure_id']}/report", claims=admin(HIDA)
    ).body
    if status == 200:
        assert seen[0] == conflicts + 1
        assert (report["approved"], report["applications"]["approved"]) == (10_000, 1)
    else:
        assert reply.error_code == "UNAVAILABLE" and "Retry-After" in reply.headers
        assert (report["approved"], report["applications"]["submitted"]) == (0, 1)
