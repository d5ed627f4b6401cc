"""Coordinators' decisions: premium applications waiting for review (rule 14) and approved stay
declarations (rule 16)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from furusato import clock
from furusato.capabilities import premium
from furusato.domain.errors import Conflict, InvalidInput, NotFound
from furusato.domain.lg import RECORDS_COUNT_FROM
from furusato.domain.notifications import NotificationKind
from furusato.domain.premium import one_year_after
from furusato.domain.registration import progress
from furusato.store import lgs, notifications, people
from furusato.views.registration import registration_detail_view, review_view, stays_view


def registration_detail(lg_code: str, registration_id: str) -> dict[str, Any]:
    """One registration as staff see it, with the documents handed in with its application."""
    found = people.find_registration(lg_code, registration_id)
    if found is None:
        raise NotFound("no such registration")
    sub, reg = found
    from furusato.capabilities import uploads  # imported by the few requests that read documents

    return registration_detail_view(reg, uploads.documents_of(sub, registration_id))


def review(lg_code: str, registration_id: str, decision: str, reason: str, reviewer: str) -> dict[str, Any]:
    found = people.find_registration(lg_code, registration_id)
    if found is None:
        raise NotFound("no such registration")
    sub, _ = found
    record = people.load(sub)
    reg = record.registrations.get(lg_code)
    if reg is None or reg.registration_id != registration_id:
        raise NotFound("no such registration")
    if reg.status != "pending_review":
        raise Conflict("this registration is not waiting for a review", code="NOT_PENDING_REVIEW")
    reason = reason.strip()
    today = clock.today()
    if decision == "approve":
        # A renewal waiting for review kept its old valid_until: the new year continues from it,
        # as with auto-approval. An application's year starts on the approval day.
        start = date.fromisoformat(reg.premium_valid_until) if reg.premium_valid_until else today
        decided = replace(
            reg,
            status="active",
            premium_valid_until=one_year_after(start).isoformat(),
            decision_reason=reason,
        )
        title, body = "プレミアム登録が承認されました", f"有効期限: {decided.premium_valid_until}。{reason}"
    else:
        decided = replace(
            reg,
            plan="basic",
            status="active",
            premium_valid_until=None,
            notice_sent_for=None,
            decision_reason=reason,
        )
        title, body = "プレミアム登録は承認されませんでした", f"理由: {reason}"
    # The version condition refuses a decision on a registration that changed meanwhile.
    people.save(record, [decided])
    notifications.notify(
        sub,
        NotificationKind.REVIEW_DECIDED,
        title=title,
        body=body,
        lg_code=lg_code,
        dedupe_key=f"{registration_id}:{decision}:{reviewer}",
    )
    return review_view(decided, decision)


def approve_stays(
    lg_code: str, registration_id: str, days: list[date], note: str | None, approver: str
) -> dict[str, Any]:
    today = clock.today()
    bad = {
        f"days[{i}]": "between 2026-04-01 and today"
        for i, day in enumerate(days)
        if not RECORDS_COUNT_FROM <= day <= today
    }
    if bad:
        raise InvalidInput("stay days must have happened", details=bad)
    found = people.find_registration(lg_code, registration_id)
    if found is None or not found[1].live:
        raise NotFound("no such registration")
    sub, _ = found
    unique = sorted(set(days))
    people.save_stays(sub, lg_code, unique, approver, note.strip() if note else None)
    # Rule 16: the stored long-term stayer flag follows the new stay days.
    premium.after_participation(sub, [lg_code], today, upgrade=False)
    record = people.load(sub)
    lg = lgs.require(lg_code)
    current = progress(lg, record.participations, today, record.stays.get(lg_code, ()))
    return stays_view(registration_id, unique, current)
