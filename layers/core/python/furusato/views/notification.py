"""A notification as its registrant's inbox shows it."""

from __future__ import annotations

from typing import Any

from furusato.store.notifications import Notification


def notification_view(n: Notification) -> dict[str, Any]:
    return {
        "notification_id": n.notification_id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "lg_code": n.lg_code,
        "created_at": n.created_at,
        "read": n.read,
    }
