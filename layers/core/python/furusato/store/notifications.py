"""The notifications inbox of a person: pk=N#{sub}, sk={created_at}#{notification_id}.

Access patterns:
- the inbox, newest first: Query pk=N#{sub}, ScanIndexForward=false
- add one: PutItem with attribute_not_exists, so a retried sweep or decision adds nothing twice
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from furusato import clock
from furusato.domain.notifications import KINDS, NotificationKind
from furusato.store import cursor as cursors
from furusato.store.errors import save_once
from furusato.store.models import NotificationItem


def inbox_pk(sub: str) -> str:
    return f"N#{sub}"


@dataclass(frozen=True)
class Notification:
    notification_id: str
    kind: str
    title: str
    body: str
    lg_code: str | None
    created_at: str
    read: bool = False


def notification_item(
    sub: str,
    kind: NotificationKind,
    *,
    title: str,
    body: str,
    lg_code: str | None,
    dedupe_key: str,
    at: datetime | None = None,
) -> NotificationItem:
    """The inbox item of a notification: the same (kind, lg_code, dedupe_key) at the same instant
    is the same item. Written by `notify`, or inside a transaction with the change it reports
    (put with `attribute_not_exists(pk)`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    created = clock.iso(at or clock.now())
    notification_id = "n_" + hashlib.sha256(f"{kind}|{lg_code}|{dedupe_key}".encode()).hexdigest()[:20]
    return NotificationItem(
        inbox_pk(sub),
        f"{created}#{notification_id}",
        notification_id=notification_id,
        kind=kind,
        title=title,
        body=body,
        lg_code=lg_code,
        created_at=created,
        read=False,
    )


def notify(
    sub: str,
    kind: NotificationKind,
    *,
    title: str,
    body: str,
    lg_code: str | None,
    dedupe_key: str,
    at: datetime | None = None,
) -> bool:
    """Add a notification once. Sweeps pass their scheduled time as `at`, so a retried run adds
    nothing. Returns False when it already existed."""
    item = notification_item(sub, kind, title=title, body=body, lg_code=lg_code, dedupe_key=dedupe_key, at=at)
    return save_once(item)


def inbox(sub: str, *, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
    found, next_cursor = cursors.page(
        NotificationItem.query, ("pk", inbox_pk(sub)), cursor=cursor, limit=limit, scan_index_forward=False
    )
    items = [
        Notification(
            notification_id=i.notification_id,
            kind=i.kind,
            title=i.title,
            body=i.body,
            lg_code=i.lg_code,
            created_at=i.created_at,
            read=bool(i.read),
        )
        for i in found
        if isinstance(i, NotificationItem)
    ]
    return items, next_cursor
