"""A consultation as the registrant and the government's staff see it (one with its messages, the
lists as summaries), and in the registrant's data export."""

from __future__ import annotations

from typing import Any

from furusato.store.consultations import Consultation, Message


def message_view(message: Message) -> dict[str, Any]:
    return {"from": message.sender, "body": message.body, "at": message.at}


def _fields(c: Consultation) -> dict[str, Any]:
    return {
        "consultation_id": c.consultation_id,
        "lg_code": c.lg_code,
        "topic": c.topic,
        "subject": c.subject,
        "status": c.status,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def summary_view(c: Consultation) -> dict[str, Any]:
    """A list item: no messages, with the instant since which it waits for an answer."""
    return {**_fields(c), "waiting_since": c.waiting_since}


def consultation_view(c: Consultation) -> dict[str, Any]:
    return {**_fields(c), "messages": [message_view(m) for m in c.messages]}
