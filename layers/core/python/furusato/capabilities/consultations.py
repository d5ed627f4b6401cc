"""Consultations (相談) between a registrant and a government they are registered with."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from furusato import audit, clock
from furusato.domain.consultation import check_text, status_after
from furusato.domain.errors import NotFound
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.notifications import NotificationKind
from furusato.store import consultations, notifications
from furusato.store.consultations import Consultation, Message, NotRegistered
from furusato.store.ids import new_id
from furusato.views.consultation import consultation_view, summary_view

PURPOSE = "answering consultations"


def open_consultation(sub: str, body: dict[str, Any]) -> dict[str, Any]:
    lg_code = body["lg_code"]
    if not is_valid_lg_code(lg_code):
        raise NotRegistered("you are not registered with this local government", details={"lg_code": lg_code})
    text = check_text(subject=body["subject"], message=body["message"])
    now = clock.iso(clock.now())
    consultation = Consultation(
        consultation_id=new_id("cns"),
        lg_code=lg_code,
        sub=sub,
        topic=body["topic"],
        subject=text["subject"],
        status="open",
        waiting_since=now,
        created_at=now,
        updated_at=now,
        messages_count=1,
    )
    first = Message("registrant", text["message"], now)
    consultations.open_consultation(consultation, first)
    consultation.messages = [first]
    return consultation_view(consultation)


def _mine(sub: str, consultation_id: str) -> Consultation:
    found = consultations.get(consultation_id)
    if found is None or found.sub != sub:
        raise NotFound("consultation not found")
    return found


def _of_lg(lg_code: str, consultation_id: str) -> Consultation:
    found = consultations.get(consultation_id)
    if found is None or found.lg_code != lg_code:
        raise NotFound("consultation not found")
    return found


def my_consultations(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = consultations.list_for_person(sub, limit=limit, cursor=cursor)
    return [summary_view(c) for c in items], next_cursor


def my_consultation(sub: str, consultation_id: str) -> dict[str, Any]:
    return consultation_view(_mine(sub, consultation_id))


def _append(before: Consultation, sender: str, text: str, by: str | None) -> Consultation:
    body = check_text(body=text)["body"]
    now = clock.iso(clock.now())
    status = status_after(before.status, sender, before.messages_count)  # type: ignore[arg-type]
    # Waiting since: the registrant's first unanswered message; for staff, the reply.
    waiting_since = before.waiting_since if (sender == "registrant" and before.status == "open") else now
    message = Message(sender, body, now)
    after = replace(
        before,
        status=status,
        waiting_since=waiting_since,
        updated_at=now,
        messages_count=before.messages_count + 1,
        messages=[*before.messages, message],
    )
    notification = None
    if sender == "staff":
        notification = notifications.notification_item(
            before.sub,
            NotificationKind.CONSULTATION_REPLY,
            title=f"ご相談への回答: {before.subject}"[:200],
            body=body[:500],
            lg_code=before.lg_code,
            dedupe_key=f"{before.consultation_id}#{before.messages_count + 1}",
        )
    consultations.add_message(before, after, message, by=by, notification=notification)
    return after


def add_my_message(sub: str, consultation_id: str, text: str) -> dict[str, Any]:
    return consultation_view(_append(_mine(sub, consultation_id), "registrant", text, None))


def staff_list(
    actor_sub: str, staff_role: str, lg_code: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = consultations.list_for_lg(lg_code, status=status, limit=limit, cursor=cursor)
    audit.record(
        actor_sub=actor_sub,
        staff_role=staff_role,
        lg_code=lg_code,
        action="read",
        resource="consultations",
        purpose=PURPOSE,
        records=len(items),
    )
    return [summary_view(c) for c in items], next_cursor


def staff_get(actor_sub: str, staff_role: str, lg_code: str, consultation_id: str) -> dict[str, Any]:
    found = _of_lg(lg_code, consultation_id)
    _record(actor_sub, staff_role, lg_code, "read", consultation_id)
    return consultation_view(found)


def _record(actor_sub: str, staff_role: str, lg_code: str, action: str, consultation_id: str) -> None:
    audit.record(
        actor_sub=actor_sub,
        staff_role=staff_role,
        lg_code=lg_code,
        action=action,
        resource=f"consultations/{consultation_id}",
        purpose=PURPOSE,
        records=1,
    )


def staff_reply(
    actor_sub: str, staff_role: str, lg_code: str, consultation_id: str, text: str
) -> dict[str, Any]:
    after = _append(_of_lg(lg_code, consultation_id), "staff", text, actor_sub)
    _record(actor_sub, staff_role, lg_code, "reply", consultation_id)
    return consultation_view(after)


def staff_close(actor_sub: str, staff_role: str, lg_code: str, consultation_id: str) -> dict[str, Any]:
    found = _of_lg(lg_code, consultation_id)
    _record(actor_sub, staff_role, lg_code, "close", consultation_id)
    if found.status == "closed":
        return consultation_view(found)
    now = clock.iso(clock.now())
    closed = replace(found, status="closed", waiting_since=now, updated_at=now)
    if not consultations.close(closed, by=actor_sub):
        return consultation_view(_of_lg(lg_code, consultation_id))
    return consultation_view(closed)
