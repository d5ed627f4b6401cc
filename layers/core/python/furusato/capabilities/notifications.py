"""The registrant's notifications inbox, newest first (what adds to it lives with each rule)."""

from __future__ import annotations

from typing import Any

from furusato.store import notifications
from furusato.views.notification import notification_view


def inbox(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = notifications.inbox(sub, limit=limit, cursor=cursor)
    return [notification_view(n) for n in items], next_cursor
