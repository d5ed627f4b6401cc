"""Participations (実績) and the failed-scan counters in the main table.

Access patterns:
- record a participation: TransactWriteItems of the PutItem pk=P#{sub}, sk=PART#{activity_id}
  with attribute_not_exists(pk) and the activity's counter shard: exactly one per person and
  activity, decided by DynamoDB; a losing write gets the stored record back
  (ReturnValuesOnConditionCheckFailure=ALL_OLD), no extra read
- a person's participations: part of the person's partition (store.people.load, one Query);
  alone: Query pk=P#{sub}, sk begins_with PART#
- what a check-in's progress needs: the same partition Query, projected to the few attributes
  of registrations and participations that progress reads (`standing`)
- names and registrations on a roster page: BatchGetItem of (P#{sub}, PROFILE) and
  (P#{sub}, REG#{lg_code}) for the page's people (read when the roster is read, so a person who
  withdrew has no name on it)
- roster of an activity: Query gsi1 gsi1pk=ACT#{activity_id} (gsi1sk={checked_in_at}#{id}):
  participations and pending (backfilled, not yet matched) participants alike
- participant count: sharded counter items added to in the participation's own transaction
  (store.counters), and by each pending participant when written (store.matching): one
  BatchGetItem of the shards, whatever the roster's size
- an offline scan waiting for staff (`unconfirmed`) is written without the counter; its
  confirmation is one TransactWriteItems of the status (conditional on `unconfirmed`) and the
  counter, so the count stays equal to the confirmed records; a rejection changes the status only
- find a participation that needed confirmation by its id: Query gsi2 gsi2pk=ACT#{activity_id}#REVIEW,
  gsi2sk={participation_id} (only such records carry these keys)
- failed scans of a person: UpdateItem ADD count on pk=RL#{sub}, sk=SCANFAIL#{window}, with TTL
- the copy of an activity's fields into its records, in steps: PutItem pk=COPY#{activity_id},
  sk={run}#{step}, attribute_not_exists (capabilities.activity_copies), with TTL
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from furusato import clock
from furusato.domain.activity import Activity, jst_day
from furusato.domain.checkin import ParticipationRecord, PendingParticipant
from furusato.domain.registration import LIVE_STATUSES, Participation
from furusato.store import counters
from furusato.store import cursor as cursors
from furusato.store.errors import (
    is_condition_failure,
    put_unless_exists,
    save_once,
    storage_errors,
    transact_unless_condition,
)
from furusato.store.keys import person_pk
from furusato.store.models import (
    ActivityCopyStepItem,
    MainItem,
    ParticipationItem,
    PendingParticipationItem,
    PersonItem,
    RegistrationItem,
    ScanFailureItem,
)


def participation_sk(activity_id: str) -> str:
    return f"PART#{activity_id}"


def roster_pk(activity_id: str) -> str:
    return f"ACT#{activity_id}"


def review_pk(activity_id: str) -> str:
    return f"ACT#{activity_id}#REVIEW"


def item_of(record: ParticipationRecord) -> ParticipationItem:
    """The stored item of a participation record."""
    return _item(record)


def _item(record: ParticipationRecord) -> ParticipationItem:
    review = record.status != "confirmed"
    return ParticipationItem(
        person_pk(record.sub),
        participation_sk(record.activity_id),
        gsi1pk=roster_pk(record.activity_id),
        gsi1sk=f"{record.checked_in_at}#{record.participation_id}",
        participation_id=record.participation_id,
        sub=record.sub,
        activity_id=record.activity_id,
        lg_code=record.lg_code,
        organization_id=record.organization_id,
        activity_name=record.activity_name,
        activity_starts_at=record.activity_starts_at,
        activity_ends_at=record.activity_ends_at,
        place=record.place,
        designated=record.designated,
        day=record.day.isoformat(),
        source=record.source,
        checkin_mode=record.checkin_mode,
        checked_in_at=record.checked_in_at,
        recorded_at=record.recorded_at,
        offline=record.offline,
        nonce=record.nonce,
        recorded_by=record.recorded_by,
        status=record.status,
        decided_by=record.decided_by,
        decided_at=record.decided_at,
        gsi2pk=review_pk(record.activity_id) if review else None,
        gsi2sk=record.participation_id if review else None,
    )


def record(participation: ParticipationRecord) -> tuple[bool, ParticipationRecord]:
    """Write the participation unless one exists for this person and activity.

    Returns (True, the new record) or (False, the record stored before). One conditional
    put: pynamodb's `save` cannot ask for the old item on a failed condition, so the call goes
    through the model's own botocore client (same retry configuration, same endpoint).
    The activity's participant count grows in the same transaction (one TransactWriteItems),
    unless the participation is not confirmed: it counts when staff confirm it (`decide`).
    """
    counted = (
        [counters.update_element(participation.activity_id, participation.sub)]
        if participation.confirmed
        else []
    )
    old = put_unless_exists(_item(participation), also=counted)
    if old is None:
        return True, participation
    if old:
        return False, ParticipationItem.from_raw_data(old).to_record()
    return False, participation  # the table does not echo the item (older emulators)


@dataclass(frozen=True)
class RegistrationState:
    """What a check-in needs to know of a live registration to decide whether the scan may change
    it (automatic premium, the long-term stayer flag)."""

    plan: str
    status: str
    auto_upgrade: bool
    long_term_stayer: bool


@dataclass
class Standing:
    """A person's live registrations (lg_code -> registration_id) and participations."""

    registrations: dict[str, str] = field(default_factory=dict)
    participations: list[Participation] = field(default_factory=list)
    has_profile: bool = False
    states: dict[str, RegistrationState] = field(default_factory=dict)


# Steps of a copy are kept for the stream's retention and more (records live 24 hours).
COPY_STEP_KEEP_DAYS = 3

_STANDING_ATTRIBUTES = [
    "sk",
    "type",
    "lg_code",
    "status",  # a registration's, and a participation's (confirmed or not)
    "registration_id",
    "plan",
    "auto_upgrade",
    "long_term_stayer",
    "activity_id",
    "designated",
    "day",
]


def standing(sub: str) -> Standing:
    """The person's partition, projected to what progress needs: one Query, small items."""
    found = Standing()
    with storage_errors():
        for item in MainItem.query(person_pk(sub), attributes_to_get=_STANDING_ATTRIBUTES):
            if isinstance(item, PersonItem):
                found.has_profile = True
            elif isinstance(item, RegistrationItem):
                if item.status in LIVE_STATUSES:
                    found.registrations[item.lg_code] = item.registration_id
                    found.states[item.lg_code] = RegistrationState(
                        item.plan, item.status, bool(item.auto_upgrade), bool(item.long_term_stayer)
                    )
            elif isinstance(item, ParticipationItem):
                found.participations.append(
                    Participation(
                        activity_id=item.activity_id,
                        lg_code=item.lg_code,
                        designated=bool(item.designated),
                        day=date.fromisoformat(item.day),
                        status=item.status or "confirmed",
                    )
                )
    return found


def reviewable(activity_id: str, participation_id: str) -> ParticipationRecord | None:
    """The participation of this activity with this id, if it ever needed confirmation (one
    Query of the review index, then a consistent read of the record itself)."""
    with storage_errors():
        found = next(
            iter(MainItem.gsi2.query(review_pk(activity_id), MainItem.gsi2sk == participation_id, limit=1)),
            None,
        )
        if not isinstance(found, ParticipationItem):
            return None
        current = _get(found.pk, found.sk)
    return current if current is not None and current.participation_id == participation_id else None


def _get(pk: str, sk: str) -> ParticipationRecord | None:
    with storage_errors():
        try:
            return ParticipationItem.get(pk, sk, consistent_read=True).to_record()
        except ParticipationItem.DoesNotExist:
            return None  # the person's data was deleted meanwhile


def decide(
    record: ParticipationRecord, status: str, *, by: str, at: str
) -> tuple[bool, ParticipationRecord | None]:
    """Give an unconfirmed participation its decided status (confirmed or rejected): one
    TransactWriteItems, conditional on the record being unconfirmed still; a confirmation adds it
    to the activity's count in the same transaction. Returns (True, the decided record), or
    (False, the record as stored, None if gone) when it was decided before (a retry, a
    concurrent decision) or deleted."""
    from dataclasses import replace

    from furusato.settings import settings

    key = {"pk": {"S": person_pk(record.sub)}, "sk": {"S": participation_sk(record.activity_id)}}
    update = {
        "Update": {
            "TableName": settings().main_table,
            "Key": key,
            "UpdateExpression": "SET #s = :s, decided_by = :by, decided_at = :at",
            "ConditionExpression": "#s = :unconfirmed AND participation_id = :id",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":s": {"S": status},
                ":by": {"S": by},
                ":at": {"S": at},
                ":unconfirmed": {"S": "unconfirmed"},
                ":id": {"S": record.participation_id},
            },
        }
    }
    also = [counters.update_element(record.activity_id, record.sub)] if status == "confirmed" else []
    if transact_unless_condition([update, *also]) is None:
        return True, replace(record, status=status, decided_by=by, decided_at=at)
    return False, _get(key["pk"]["S"], key["sk"]["S"])


def forget(sub: str, activity_id: str) -> None:
    """Delete one participation (a deleted account's scan that must not stay)."""
    with storage_errors():
        ParticipationItem(person_pk(sub), participation_sk(activity_id)).delete()


def roster_people(subs: Iterable[str], lg_code: str) -> dict[str, tuple[str | None, str | None]]:
    """sub -> (name, live registration id with `lg_code`) for the people of a roster page."""
    wanted = sorted(set(subs))
    keys = [(person_pk(sub), sk) for sub in wanted for sk in ("PROFILE", f"REG#{lg_code}")]
    names: dict[str, str | None] = {}
    registrations: dict[str, str | None] = {}
    with storage_errors():
        for item in MainItem.batch_get(
            keys, attributes_to_get=["pk", "sk", "type", "name", "status", "registration_id"]
        ):
            sub = item.pk[2:]
            if isinstance(item, PersonItem):
                names[sub] = item.name
            elif isinstance(item, RegistrationItem) and item.status in LIVE_STATUSES:
                registrations[sub] = item.registration_id
    return {sub: (names.get(sub), registrations.get(sub)) for sub in wanted}


def of_person(sub: str) -> list[ParticipationRecord]:
    with storage_errors():
        return [
            item.to_record()
            for item in ParticipationItem.query(person_pk(sub), ParticipationItem.sk.startswith("PART#"))
            if isinstance(item, ParticipationItem)
        ]


RosterEntry = ParticipationRecord | PendingParticipant


def _entry(item: MainItem) -> RosterEntry | None:
    if isinstance(item, ParticipationItem):
        return item.to_record()
    if isinstance(item, PendingParticipationItem):
        return PendingParticipant(
            participation_id=item.participation_id,
            name=item.name or "",
            checked_in_at=item.checked_in_at or "",
            recorded_at=item.written_at,
        )
    return None


def roster(activity_id: str, *, limit: int, cursor: str | None) -> tuple[list[RosterEntry], str | None]:
    """One page of the roster: registrants' participations and backfilled people not yet matched,
    in check-in order."""
    found, next_cursor = cursors.page(
        MainItem.gsi1.query, ("gsi1pk", roster_pk(activity_id)), cursor=cursor, limit=limit
    )
    return [e for e in (_entry(item) for item in found) if e is not None], next_cursor


def whole_roster(activity_id: str) -> Iterator[ParticipationRecord]:
    """Every participation record of an activity (registrants only)."""
    for entry in whole_roster_with_pending(activity_id):
        if isinstance(entry, ParticipationRecord):
            yield entry


def whole_roster_with_pending(activity_id: str) -> Iterator[RosterEntry]:
    with storage_errors():
        for item in MainItem.gsi1.query(roster_pk(activity_id), page_size=500):
            entry = _entry(item)
            if entry is not None:
                yield entry


def count(activity_id: str) -> int:
    """Participants of an activity, backfilled people not yet matched included: its counter
    shards (one BatchGetItem)."""
    return counters.count(activity_id)


def copy_differs(stored: ParticipationRecord, activity: Activity) -> bool:
    return not (
        stored.designated == activity.designated
        and stored.day == jst_day(activity.starts_at)
        and stored.activity_name == activity.name
        and stored.activity_starts_at == activity.starts_at.isoformat()
        and stored.activity_ends_at == activity.ends_at.isoformat()
        and stored.place == activity.place
    )


def refresh_snapshot(sub: str, activity: Activity) -> bool:
    """Copy the activity's description and designation into one person's record of it (records
    carry them so that progress and history need no other read). False when nothing was written:
    the record already carries this copy (a redelivery, another step), or is gone (withdrawn)."""
    p = ParticipationItem
    day = jst_day(activity.starts_at).isoformat()  # a rescheduled activity moves its day
    values: list[tuple[Any, Any]] = [
        (p.designated, activity.designated),
        (p.day, day),
        (p.activity_name, activity.name),
        (p.activity_starts_at, activity.starts_at.isoformat()),
        (p.activity_ends_at, activity.ends_at.isoformat()),
        (p.place, activity.place),
    ]
    differs = values[0][0] != values[0][1]
    for attribute, value in values[1:]:
        differs = differs | (attribute != value)
    with storage_errors():
        try:
            ParticipationItem(person_pk(sub), participation_sk(activity.activity_id)).update(
                actions=[attribute.set(value) for attribute, value in values],
                # An equal record is not rewritten: no index write, no stream record.
                condition=p.pk.exists() & differs,
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            return False
    return True


def put_copy_step(
    lg_code: str, activity_id: str, run: str, step: int, copy_of: str, cursor: str | None
) -> bool:
    """Put one step of an activity's copy into its records; False when that step was already put
    (a redelivery: the chain goes on from the first put only)."""
    now = clock.now()
    item = ActivityCopyStepItem(
        f"COPY#{activity_id}",
        f"{run}#{step:05d}",
        activity_id=activity_id,
        lg_code=lg_code,
        run=run,
        step=step,
        copy_of=copy_of,
        cursor=cursor,
        created_at=clock.iso(now),
        expires_at=now + timedelta(days=COPY_STEP_KEEP_DAYS),
    )
    return save_once(item)


def count_failure(sub: str, window: int, expires: datetime) -> int:
    """Add one failed scan to the person's counter for this window; the new total."""
    item = ScanFailureItem(f"RL#{sub}", f"SCANFAIL#{window}")
    with storage_errors():
        item.update(
            actions=[
                ScanFailureItem.type.set(ScanFailureItem),  # the update may create the item
                ScanFailureItem.failures.add(1),
                ScanFailureItem.expires_at.set(expires),
            ]
        )
    return int(item.failures)
