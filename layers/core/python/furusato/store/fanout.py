"""Disaster notices fanned out page by page (see capabilities/disaster.py).

Access patterns:
- start or continue a fan-out: PutItem FANOUT#{content_id} / PAGE#{n}, attribute_not_exists
  (a redelivered change puts nothing twice)
- one page of a government's live registrations: Query gsi1 LG#{lg_code}#REG, status filter
- the residence of a page's people (only when the target names prefectures): BatchGetItem of
  (P#{sub}, PROFILE), projected to residence_lg_code
- a notice: PutItem N#{sub} / {published_at}#{id}, attribute_not_exists (notifications.py)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from furusato import clock
from furusato.domain.registration import LIVE_STATUSES, Registration
from furusato.store import cursor as cursors
from furusato.store.errors import save_once, storage_errors
from furusato.store.models import DisasterFanoutItem, NotificationItem, PersonItem, RegistrationItem
from furusato.store.people import PROFILE_SK, _registration, lg_registrations_pk, person_pk

PAGE_SIZE = 100
KEEP_DAYS = 7


def page_key(content_id: str, page: int) -> tuple[str, str]:
    return f"FANOUT#{content_id}", f"PAGE#{page:05d}"


def put_page(content_id: str, lg_code: str, page: int, cursor: str | None) -> bool:
    """False when that page was already put (a redelivery)."""
    pk, sk = page_key(content_id, page)
    now = clock.now()
    item = DisasterFanoutItem(
        pk,
        sk,
        content_id=content_id,
        lg_code=lg_code,
        page=page,
        cursor=cursor,
        created_at=clock.iso(now),
        expires_at=now + timedelta(days=KEEP_DAYS),
    )
    return save_once(item)


def live_registrations(lg_code: str, cursor: str | None) -> tuple[list[tuple[str, Registration]], str | None]:
    found, next_cursor = cursors.page(
        RegistrationItem.gsi1.query,
        ("gsi1pk", lg_registrations_pk(lg_code)),
        cursor=cursor,
        limit=PAGE_SIZE,
        filter_condition=RegistrationItem.status.is_in(*sorted(LIVE_STATUSES)),
    )
    return [
        (item.pk.removeprefix("P#"), _registration(item))
        for item in found
        if isinstance(item, RegistrationItem)
    ], next_cursor


def residences(subs: Iterable[str]) -> dict[str, str]:
    """sub -> residence lg_code, for the people who have a profile."""
    keys = sorted({(person_pk(sub), PROFILE_SK) for sub in subs})
    if not keys:
        return {}
    with storage_errors():
        return {
            item.pk.removeprefix("P#"): item.residence_lg_code
            for item in PersonItem.batch_get(
                keys, attributes_to_get=["pk", "sk", "type", "residence_lg_code"]
            )
            if isinstance(item, PersonItem) and item.residence_lg_code
        }


def put_notice(item: NotificationItem) -> bool:
    return save_once(item)
