"""Records of staff access to personal data (rule 24: who, which government, what, when, why).

Every staff read or change of personal data calls `record` once per request. It is the one
place that knows where the trail is written: the append-only audit table
(`store.audit_trail`), which no application role can alter. A record that cannot be written
fails the request (503): personal data is not handed out unrecorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.domain.errors import InvalidInput
from furusato.views.audit import audit_record_view

logger = Logger(child=True)


def record(
    *,
    actor_sub: str,
    lg_code: str,
    action: str,
    resource: str,
    purpose: str,
    records: int | None = None,
    staff_role: str | None = None,
) -> None:
    """`action` says what was done ("read", "export", "decide"...), `resource` what it was done
    to ("registrations", "activities/{id}/participants"...), `purpose` why (the task it serves).
    Only identifiers and counts: never names, addresses or birth dates, and never a
    registrant's account id (a person's deletion cannot reach an append-only trail)."""
    from furusato.store import audit_trail  # only functions that record load the model

    at = clock.now()
    audit_trail.append(
        at=at,
        lg_code=lg_code,
        actor=actor_sub,
        staff_role=staff_role,
        action=action,
        resource=resource,
        purpose=purpose,
        records=records,
    )
    logger.debug("staff access recorded", extra={"lg_code": lg_code, "action": action})


class Staff(Protocol):
    """Who acts: a route's principal or a capability's actor."""

    @property
    def sub(self) -> str: ...

    @property
    def staff_role(self) -> str | None: ...


def staff_access(
    who: Staff, lg_code: str, *, action: str, resource: str, purpose: str, records: int | None = None
) -> None:
    """`record` for the staff member making the request."""
    record(
        actor_sub=who.sub,
        lg_code=lg_code,
        staff_role=who.staff_role,
        action=action,
        resource=resource,
        purpose=purpose,
        records=records,
    )


DEFAULT_DAYS = 30
MAX_DAYS = 366


def read(
    lg_code: str, *, start: date | None, end: date | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A government's trail between two JST days (default: the last 30), newest first."""
    from furusato.store import audit_trail

    end = end or clock.today()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("from is after to", details={"from": "on or before to"})
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("period too long", details={"from": f"at most {MAX_DAYS} days before to"})
    items, next_cursor = audit_trail.query(lg_code, start=start, end=end, limit=limit, cursor=cursor)
    return [audit_record_view(item) for item in items], next_cursor
