"""The audit trail table: append-only records of staff access to personal data.

Writers hold PutItem on this table and nothing else (infra/cdk/functions.py), and every put is
conditional on the key being new, so a record is never replaced; the reader (the admin function)
holds Query and nothing that writes. Keys: pk={lg_code}#{JST month}, sk={at, JST ISO}#{random id}.

Access patterns:
- append: PutItem attribute_not_exists(pk)
- a government's records between two days, newest first: Query pk per month, sk between
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from furusato.clock import JST
from furusato.settings import settings
from furusato.store import cursor as cursors
from furusato.store.errors import CONDITION_FAILED, response_code, storage_errors

_settings = settings()


class AuditItem(Model):
    class Meta:
        table_name = _settings.audit_table
        region = _settings.region
        host = _settings.endpoint_url
        max_retry_attempts = 3
        base_backoff_ms = 25

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()  # ISO instant, JST offset
    lg_code = UnicodeAttribute()
    actor = UnicodeAttribute()  # the staff member's sub (staff id)
    staff_role = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    resource = UnicodeAttribute()
    purpose = UnicodeAttribute()
    records = NumberAttribute(null=True)


class AlreadyRecorded(Exception):
    """The append-only put found a record under the key: nothing was changed."""


def partition(lg_code: str, month: str) -> str:
    return f"{lg_code}#{month}"


def append(
    *,
    at: datetime,
    lg_code: str,
    actor: str,
    staff_role: str | None,
    action: str,
    resource: str,
    purpose: str,
    records: int | None,
    record_id: str | None = None,
) -> str:
    """Append one record; its key. `record_id` is random unless given (tests give one to prove
    that a second put under the same key changes nothing)."""
    local = at.astimezone(JST)
    # JST with a fixed offset sorts as time; the random part keeps simultaneous records apart.
    sk = f"{local.isoformat(timespec='microseconds')}#{record_id or secrets.token_hex(16)}"
    item = AuditItem(
        partition(lg_code, local.strftime("%Y-%m")),
        sk,
        at=local.isoformat(timespec="seconds"),
        lg_code=lg_code,
        actor=actor,
        staff_role=staff_role,
        action=action,
        resource=resource,
        purpose=purpose,
        records=records,
    )
    with storage_errors():
        try:
            item.save(condition=AuditItem.pk.does_not_exist())
        except PutError as exc:
            if response_code(exc) == CONDITION_FAILED:
                raise AlreadyRecorded(sk) from exc
            raise
    return sk


def _months(start: date, end: date) -> list[str]:
    """JST months from `end` back to `start` (newest first)."""
    months: list[str] = []
    cursor = date(end.year, end.month, 1)
    while cursor >= date(start.year, start.month, 1):
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return months


def _encode(month: str, last_key: dict[str, Any] | None) -> str:
    return cursors.pack({"m": month, "k": last_key})


def _decode(cursor: str, lg_code: str, months: list[str]) -> tuple[str, dict[str, Any] | None]:
    raw = cursors.unpack(cursor)
    if not isinstance(raw, dict) or set(raw) != {"m", "k"} or raw["m"] not in months:
        raise cursors.invalid()
    key = raw["k"]
    if key is not None:
        key = cursors.last_key(key, partition=("pk", partition(lg_code, raw["m"])))
    return str(raw["m"]), key


def query(
    lg_code: str, *, start: date, end: date, limit: int, cursor: str | None
) -> tuple[list[AuditItem], str | None]:
    """Records of `lg_code` with a JST day in [start, end], newest first: one Query per month
    touched, stopping as soon as the page is full."""
    months = _months(start, end)
    month_index, last_key = 0, None
    if cursor:
        month, last_key = _decode(cursor, lg_code, months)
        month_index = months.index(month)
    low = datetime(start.year, start.month, start.day, tzinfo=JST).isoformat(timespec="microseconds")
    high = (datetime(end.year, end.month, end.day, tzinfo=JST) + timedelta(days=1)).isoformat(
        timespec="microseconds"
    )
    items: list[AuditItem] = []
    with storage_errors():
        while month_index < len(months):
            month = months[month_index]
            result = AuditItem.query(
                partition(lg_code, month),
                AuditItem.sk.between(low, high),
                scan_index_forward=False,
                limit=limit - len(items),
                page_size=limit - len(items),
                last_evaluated_key=last_key,
            )
            items.extend(result)
            last_key = result.last_evaluated_key
            if len(items) >= limit:
                if last_key:
                    return items, _encode(month, last_key)
                if month_index + 1 < len(months):
                    return items, _encode(months[month_index + 1], None)
                return items, None
            month_index, last_key = month_index + 1, None
    return items, None
