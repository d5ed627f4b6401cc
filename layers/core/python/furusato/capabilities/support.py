"""Support measures and applications (rules 21-22; docs/support.md).

    submit ─> submitted ──approve──> approved ──payment──> paid
                 │  ▲  └──reject───> rejected
      request_info  └──amend (registrant)
                 ▼  │
            info_requested ──reject──> rejected

Every move is one DynamoDB transaction (store/support.py): the application's status is its
condition, and the measure's counters (yen approved and paid, count per status) move with it, so
the budget is never exceeded and the report is one read that always agrees with the
applications. Logs carry ids, statuses and amounts only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.clock import iso
from furusato.domain import ids
from furusato.domain import support as rules
from furusato.domain.errors import Conflict, InvalidInput, NotFound, invalid_field
from furusato.domain.notifications import NotificationKind
from furusato.domain.support import Measure, MeasureTerms
from furusato.store import notifications
from furusato.store import support as store
from furusato.store.ids import new_id
from furusato.store.keys import PROFILE_SK, lg_pk, person_pk, registration_sk
from furusato.store.models import MeasureItem, PersonItem, RegistrationItem, SupportYearItem
from furusato.views.support import application_view, measure_view, report_view

logger = Logger(service="furusato", child=True)

MEASURE_ID = re.compile(ids.MEASURE_ID)
APPLICATION_ID = re.compile(ids.APPLICATION_ID)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_measure_id(lg_code: str) -> str:
    """The government is part of the id, so an application names its measure with the id alone
    and the measure is still read from its government's partition."""
    return f"msr_{lg_code}_{new_id('x')[2:]}"


def lg_of_measure(measure_id: str) -> str | None:
    found = MEASURE_ID.fullmatch(measure_id)
    return found.group(1) if found else None


# --- measures -----------------------------------------------------------------------------------


def terms_from(body: dict[str, Any]) -> MeasureTerms:
    return rules.check_terms(
        MeasureTerms(
            name=body["name"],
            description=body.get("description") or "",
            category=body["category"],
            eligibility=body["eligibility"],
            delivery=body["delivery"],
            opens_on=body["opens_on"],
            closes_on=body["closes_on"],
            rate_percent=body["rate_percent"],
            max_per_application=body["max_per_application"],
            max_per_person_per_fiscal_year=body["max_per_person_per_fiscal_year"],
            budget_total=body["budget_total"],
            required_documents=tuple(body.get("required_documents") or ()),
        )
    )


def create_measure(lg_code: str, body: dict[str, Any], *, sub: str) -> dict[str, Any]:
    terms = terms_from(body)
    status = body.get("status") or "draft"
    rules.check_transition("draft", status)
    now = iso(clock.now())
    measure = Measure(
        measure_id=new_measure_id(lg_code),
        lg_code=lg_code,
        terms=terms,
        status=status,
        created_at=now,
        updated_at=now,
    )
    store.create_measure(measure, created_by=sub)
    logger.info("support measure created", extra={"lg_code": lg_code, "measure_id": measure.measure_id})
    return measure_view(measure)


def list_measures(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = store.list_measures(lg_code, limit=limit, cursor=cursor)
    return [measure_view(m) for m in items], next_cursor


def get_measure(lg_code: str, measure_id: str) -> dict[str, Any]:
    return measure_view(require_measure(lg_code, measure_id))


def require_measure(lg_code: str, measure_id: str) -> Measure:
    measure = store.get_measure(lg_code, measure_id) if lg_of_measure(measure_id) == lg_code else None
    if measure is None:
        raise NotFound("no such support measure")
    return measure


def update_measure(lg_code: str, measure_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    before = require_measure(lg_code, measure_id)
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise InvalidInput("nothing to change", details={"body": "name at least one field"})
    changed = {k: v for k, v in given.items() if k != "status"}
    if "required_documents" in changed:
        changed["required_documents"] = tuple(changed["required_documents"])
    terms = rules.check_terms(replace(before.terms, **changed))
    status = given.get("status", before.status)
    rules.check_transition(before.status, status)
    after = store.update_measure(before, terms, status, now=iso(clock.now()))
    return measure_view(after)


def report(lg_code: str, measure_id: str) -> dict[str, Any]:
    """The spending report: the measure's counters, one read whatever the number of applications."""
    return report_view(require_measure(lg_code, measure_id))


def public_measures(lg_code: str) -> list[dict[str, Any]]:
    today = clock.today()
    return [
        measure_view(m, staff=False)
        for m in sorted(store.open_measures(lg_code), key=lambda m: (m.terms.opens_on, m.measure_id))
        if m.terms.closes_on >= today
    ]


# --- applications: the registrant -----------------------------------------------------------------


def _with_documents(app: store.Application) -> dict[str, Any]:
    """The application's view, its documents signed for reading."""
    from furusato.capabilities import uploads

    return application_view(app, uploads.signed_documents(app.sub, app.documents))


def _documents(sub: str, keys: list[str] | None) -> list[dict[str, Any]]:
    from furusato.capabilities import uploads

    if not keys:
        return []
    return uploads.attach(sub, keys, purpose="support_document", field="attachment_keys")


def submit(sub: str, body: dict[str, Any]) -> dict[str, Any]:
    measure_id = body["measure_id"]
    lg_code = lg_of_measure(measure_id)
    if lg_code is None:
        raise NotFound("no such support measure")
    today = clock.today()
    fiscal_year = rules.fiscal_year(today)
    # One read for everything eligibility needs: the measure, the registration, the yearly total.
    year_pk, year_sk = store.year_key(sub, measure_id, fiscal_year)
    items = store.read_many(
        [
            (lg_pk(lg_code), store.measure_sk(measure_id)),
            (person_pk(sub), registration_sk(lg_code)),
            (year_pk, year_sk),
        ]
    )
    measure_item = next((i for i in items if isinstance(i, MeasureItem)), None)
    if measure_item is None:
        raise NotFound("no such support measure")
    measure = store.to_measure(measure_item)
    if measure.status == "draft":
        raise NotFound("no such support measure")
    registration = next((i for i in items if isinstance(i, RegistrationItem)), None)
    year = next((i for i in items if isinstance(i, SupportYearItem)), None)
    standing = rules.Standing(
        registered=registration is not None,
        plan=registration.plan if registration else None,
        status=registration.status if registration else None,
        approved_this_year=int(year.approved or 0) if year else 0,
    )
    amount = body["amount_requested"]
    rules.check_amount(measure.terms, amount, body.get("expenses"), field_name="amount_requested")
    rules.check_eligibility(measure, standing, today, amount)
    if measure.remaining < amount:
        raise rules.budget_exhausted(measure.remaining)
    documents = _documents(sub, body.get("attachment_keys"))
    now = iso(clock.now())
    app = store.Application(
        application_id=new_id("sap"),
        measure_id=measure_id,
        measure_name=measure.terms.name,
        lg_code=lg_code,
        sub=sub,
        status="submitted",
        amount_requested=amount,
        expenses=body.get("expenses"),
        details=(body.get("details") or "").strip() or None,
        documents=documents,
        fiscal_year=fiscal_year,
        submitted_at=now,
        updated_at=now,
    )
    store.submit(app, budget_total=measure.terms.budget_total)
    logger.info(
        "support application submitted",
        extra={"lg_code": lg_code, "measure_id": measure_id, "application_id": app.application_id},
    )
    return _with_documents(app)


def mine(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = store.list_mine(sub, limit=limit, cursor=cursor)
    return [_with_documents(a) for a in items], next_cursor


def _my_application(sub: str, application_id: str) -> store.Application:
    app = store.find_mine(sub, application_id) if APPLICATION_ID.fullmatch(application_id) else None
    if app is None or app.sub != sub:
        raise NotFound("no such support application")
    return app


def get_mine(sub: str, application_id: str) -> dict[str, Any]:
    return _with_documents(_my_application(sub, application_id))


def amend(sub: str, application_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The applicant answers a request for information: back to `submitted`."""
    before = _my_application(sub, application_id)
    if before.status != "info_requested":
        raise Conflict(
            "only an application whose information was requested can be amended",
            code="NOT_AMENDABLE",
            details={"status": before.status},
        )
    measure = require_measure(before.lg_code, before.measure_id)
    amount = changes.get("amount_requested") or before.amount_requested
    expenses = changes["expenses"] if changes.get("expenses") is not None else before.expenses
    rules.check_amount(measure.terms, amount, expenses, field_name="amount_requested")
    if amount != before.amount_requested:
        approved = store.approved_this_year(sub, before.measure_id, before.fiscal_year)
        if approved + amount > measure.terms.max_per_person_per_fiscal_year:
            raise rules.not_eligible(
                "yearly_maximum",
                "the yearly maximum for this measure would be exceeded",
                max_per_person_per_fiscal_year=measure.terms.max_per_person_per_fiscal_year,
                approved_this_year=approved,
            )
    documents = before.documents
    if changes.get("attachment_keys") is not None:
        documents = _documents(sub, changes["attachment_keys"])
    details = before.details
    if changes.get("details") is not None:
        details = changes["details"].strip() or None
    after = replace(
        before,
        status="submitted",
        amount_requested=amount,
        expenses=expenses,
        details=details,
        documents=documents,
        updated_at=iso(clock.now()),
        version=before.version + 1,
    )
    store.transition(before, after)
    return _with_documents(after)


# --- applications: coordinators ------------------------------------------------------------------


def require_application(lg_code: str, application_id: str) -> store.Application:
    app = store.get_application(lg_code, application_id) if APPLICATION_ID.fullmatch(application_id) else None
    if app is None:
        raise NotFound("no such support application")
    return app


def staff_list(
    lg_code: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = store.list_for_lg(lg_code, status=status, limit=limit, cursor=cursor)
    return [_with_documents(a) for a in items], next_cursor


def staff_get(lg_code: str, application_id: str) -> dict[str, Any]:
    return _with_documents(require_application(lg_code, application_id))


_NOTICES = {
    "approve": ("サポート施策の申請が承認されました", "{measure}：{amount:,}円が承認されました。"),
    "reject": ("サポート施策の申請は承認されませんでした", "{measure}：理由: {reason}"),
    "request_info": ("サポート施策の申請について追加の情報をお願いします", "{measure}：{reason}"),
}


def decide(lg_code: str, application_id: str, body: dict[str, Any], *, by: str) -> dict[str, Any]:
    """approve (within the rules and the remaining budget), reject or request information; a
    decided application is a 409 NOT_DECIDABLE. Reads: the application and its measure; writes:
    one transaction (approval: at most 3 round trips in all)."""
    decision = body["decision"]
    before = require_application(lg_code, application_id)
    decidable = ("submitted",) if decision in ("approve", "request_info") else ("submitted", "info_requested")
    if before.status not in decidable:
        raise Conflict(
            "this application cannot be decided now", code="NOT_DECIDABLE", details={"status": before.status}
        )
    reason = rules.clean_reason(body.get("reason"), required=decision != "approve")
    measure = require_measure(lg_code, before.measure_id)
    now = clock.now()
    record = {"decision": decision, "decided_by": by, "decided_at": iso(now), "reason": reason}
    status = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}[decision]
    amount = None
    if decision == "approve":
        amount = body.get("amount_granted")
        amount = before.amount_requested if amount is None else amount
        if amount > before.amount_requested:
            raise rules.AmountOverLimit(
                "amount_granted exceeds the amount requested",
                details={"amount_granted": amount, "limit": before.amount_requested},
            )
        rules.check_amount(measure.terms, amount, before.expenses, field_name="amount_granted")
        if measure.remaining < amount:
            raise rules.budget_exhausted(measure.remaining)
    elif body.get("amount_granted") is not None:
        raise invalid_field("amount_granted", "only with decision approve")
    after = replace(
        before,
        status=status,
        amount_granted=amount if amount is not None else before.amount_granted,
        decision={"decided_by": by, "decided_at": iso(now), "reason": reason},
        history=[*before.history, record],
        updated_at=iso(now),
        version=before.version + 1,
    )
    title, text = _NOTICES[decision]
    notice = notifications.notification_item(
        before.sub,
        NotificationKind.SUPPORT_DECIDED,
        title=title,
        body=text.format(measure=before.measure_name, amount=amount or 0, reason=reason or ""),
        lg_code=lg_code,
        dedupe_key=f"{application_id}:{before.version}:{decision}",
        at=now,
    )
    if decision == "approve":
        assert amount is not None
        m = MeasureItem
        budget_total = measure.terms.budget_total

        def exhausted() -> Exception:
            current = require_measure(lg_code, before.measure_id)
            return rules.budget_exhausted(current.remaining)

        store.transition(
            before,
            after,
            measure_actions=[m.approved.add(amount)],
            measure_condition=(m.budget_total == budget_total) & (m.approved <= budget_total - amount),
            year=(amount, measure.terms.max_per_person_per_fiscal_year),
            notification=notice,
            on_measure=exhausted,
        )
    else:
        store.transition(before, after, notification=notice)
    logger.info(
        "support application decided",
        extra={"lg_code": lg_code, "application_id": application_id, "decision": decision, "amount": amount},
    )
    return _with_documents(after)


def pay(lg_code: str, application_id: str, body: dict[str, Any], *, by: str) -> dict[str, Any]:
    """Record the payment of an approved application, once. The same payment again answers the
    recorded one; a different one is a 409 ALREADY_PAID."""
    before = require_application(lg_code, application_id)
    paid_on = body["paid_on"].isoformat()
    reference = body["reference"].strip()
    if not reference:
        raise invalid_field("reference", "required, and not blank")
    if body["paid_on"] > clock.today():
        raise invalid_field("paid_on", "not in the future")
    if before.status == "paid" and before.payment:
        if before.payment.get("paid_on") == paid_on and before.payment.get("reference") == reference:
            return _with_documents(before)
        raise Conflict(
            "this application is paid already", code="ALREADY_PAID", details={"payment": before.payment}
        )
    if before.status != "approved":
        raise Conflict(
            "only an approved application can be paid", code="NOT_PAYABLE", details={"status": before.status}
        )
    now = iso(clock.now())
    after = replace(
        before,
        status="paid",
        payment={"paid_on": paid_on, "reference": reference, "recorded_by": by, "recorded_at": now},
        updated_at=now,
        version=before.version + 1,
    )
    m = MeasureItem
    store.transition(before, after, measure_actions=[m.paid.add(before.amount_granted or 0)])
    logger.info("support payment recorded", extra={"lg_code": lg_code, "application_id": application_id})
    return _with_documents(after)


# --- the export for the finance system -----------------------------------------------------------

EXPORT_HEADERS = (
    "申請ID",
    "施策ID",
    "施策名",
    "申請者氏名",
    "承認額（円）",
    "経費（円）",
    "承認日時",
    "承認者",
    "申請日時",
)


def export_approved(lg_code: str) -> tuple[bytes, int]:
    """Approved, not yet paid applications as an xlsx workbook (every text cell formula-safe)."""
    approved: list[store.Application] = []
    cursor = None
    while True:
        page, cursor = store.list_for_lg(lg_code, status="approved", limit=200, cursor=cursor)
        approved += page
        if not cursor:
            break
    approved.sort(key=lambda a: a.application_id)
    names: dict[str, str] = {}
    subs = sorted({a.sub for a in approved})
    for start in range(0, len(subs), 100):
        for item in store.read_many([(person_pk(s), PROFILE_SK) for s in subs[start : start + 100]]):
            if isinstance(item, PersonItem):
                names[item.pk[2:]] = item.name or ""
    rows = [
        [
            a.application_id,
            a.measure_id,
            a.measure_name,
            names.get(a.sub, ""),
            a.amount_granted or 0,
            a.expenses if a.expenses is not None else "",
            (a.decision or {}).get("decided_at") or "",
            (a.decision or {}).get("decided_by") or "",
            a.submitted_at,
        ]
        for a in approved
    ]
    from furusato.capabilities.rosters import workbook

    return workbook("承認済み未払い", EXPORT_HEADERS, rows), len(rows)
