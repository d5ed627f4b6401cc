"""What the scheduled sweeps read and keep: their run records and the gsi2 partitions.

Access patterns (never a Scan):
- a run of a sweep, per scheduled time: GetItem / PutItem / UpdateItem pk=SWEEP#{name}, sk=RUN#{time}
- premium registrations due on or before a day: Query gsi2 gsi2pk=DUE#{shard} (people.due_key),
  gsi2sk < the next day, oldest first, one page; one Query per shard (people.DUE_SHARDS)
- people due for the inactivity sweep on or before a day: Query gsi2 gsi2pk=IDLE#{shard}
  (people.idle_key), gsi2sk < the next day, oldest first, one page; one Query per shard
  (people.IDLE_SHARDS)
- move a person's inactivity due key on: UpdateItem, conditional on the key read
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from furusato import clock
from furusato.domain.registration import Registration
from furusato.store import people
from furusato.store.errors import find, is_condition_failure, save_once, storage_errors
from furusato.store.models import PersonItem, RegistrationItem, SweepRunItem

Key = dict[str, Any]  # a DynamoDB key in its wire format ({"pk": {"S": ...}, ...})


def sweep_pk(name: str) -> str:
    return f"SWEEP#{name}"


def run_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


@dataclass
class SweepRun:
    name: str
    run_id: str
    status: str  # "running" | "completed"
    position: dict[str, Any] = field(default_factory=dict)
    processed: int = 0


def _run(name: str, run_id: str, item: SweepRunItem) -> SweepRun:
    return SweepRun(
        name, run_id, item.status or "running", dict(item.position or {}), int(item.processed or 0)
    )


def get_run(name: str, run_id: str) -> SweepRun | None:
    item = find(SweepRunItem, sweep_pk(name), run_sk(run_id))
    return _run(name, run_id, item) if item else None


def create_run(name: str, run_id: str, position: dict[str, Any]) -> SweepRun:
    """Start a run once: of two invocations racing for the same scheduled time, the second gets
    the first one's record."""
    item = SweepRunItem(
        sweep_pk(name),
        run_sk(run_id),
        status="running",
        processed=0,
        position=position,
        updated_at=clock.iso(clock.now()),
    )
    if not save_once(item):
        existing = get_run(name, run_id)
        assert existing is not None
        return existing
    return SweepRun(name, run_id, "running", position, 0)


def save_run(run: SweepRun) -> None:
    """Record the position reached (and, at the end, `completed`)."""
    with storage_errors():
        SweepRunItem(sweep_pk(run.name), run_sk(run.run_id)).update(
            actions=[
                SweepRunItem.type.set(SweepRunItem),
                SweepRunItem.status.set(run.status),
                SweepRunItem.position.set(run.position),
                SweepRunItem.processed.set(run.processed),
                SweepRunItem.updated_at.set(clock.iso(clock.now())),
            ]
        )


# --- gsi2 -------------------------------------------------------------------------------------


def _gsi2_key(item: RegistrationItem | PersonItem) -> Key:
    return {
        "pk": {"S": item.pk},
        "sk": {"S": item.sk},
        "gsi2pk": {"S": item.gsi2pk},
        "gsi2sk": {"S": item.gsi2sk},
    }


@dataclass(frozen=True)
class DueRegistration:
    """A premium registration as the index holds it (projection ALL): enough to send the 30-day
    notice without reading the person's partition."""

    sub: str
    registration: Registration
    version: int
    key: Key  # its gsi2 key: where a page resumes after it


def due_page(
    shard: int, day: date, start_key: Key | None, limit: int
) -> tuple[list[DueRegistration], Key | None]:
    """One page of one shard's registrations due on or before `day`, oldest first."""
    with storage_errors():
        result = RegistrationItem.gsi2.query(
            people.due_key(shard),
            RegistrationItem.gsi2sk < (day + timedelta(days=1)).isoformat(),
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = [
            DueRegistration(
                sub=item.pk.removeprefix("P#"),
                registration=people._registration(item),
                version=int(item.version),
                key=_gsi2_key(item),
            )
            for item in result
            if isinstance(item, RegistrationItem)
        ]
        return items, result.last_evaluated_key


@dataclass(frozen=True)
class IdlePerson:
    """A person as the inactivity due index holds them: who, and the day they are due."""

    sub: str
    due: date
    key: Key


def idle_page(
    shard: int, day: date, start_key: Key | None, limit: int
) -> tuple[list[IdlePerson], Key | None]:
    """One page of one shard's people due for the inactivity sweep on or before `day`, oldest
    first (gsi2 IDLE#{shard})."""
    with storage_errors():
        result = PersonItem.gsi2.query(
            people.idle_key(shard),
            PersonItem.gsi2sk < (day + timedelta(days=1)).isoformat(),
            limit=limit,
            page_size=limit,
            last_evaluated_key=start_key,
        )
        items = [
            IdlePerson(
                sub=item.pk.removeprefix("P#"),
                due=date.fromisoformat(item.gsi2sk.split("#", 1)[0]),
                key=_gsi2_key(item),
            )
            for item in result
            if isinstance(item, PersonItem)
        ]
        return items, result.last_evaluated_key


def move_idle_due(sub: str, expected: date, due: date | None) -> bool:
    """Move a person's inactivity due key from `expected` to `due` (None: out of the index), only
    if it still holds `expected`. True when it moved."""
    with storage_errors():
        try:
            PersonItem(people.person_pk(sub), people.PROFILE_SK).update(
                actions=people.idle_actions(sub, due),
                condition=PersonItem.gsi2sk == people.idle_sort_key(expected, sub),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
    return True


def record_of(due: DueRegistration) -> people.PersonRecord:
    """The part of a person's record the index item holds: one registration and its version.
    `people.save` writes it with its version condition and leaves everything else alone (the
    premium places do not change while the registration stays premium)."""
    return people.PersonRecord(
        sub=due.sub,
        exists=True,
        registrations={due.registration.lg_code: due.registration},
        versions={due.registration.lg_code: due.version},
        partial=True,
    )
