"""A person's partition: profile, registrations and participations under pk=P#{sub}.

Access patterns:
- everything about a person: Query pk=P#{sub} (one round trip)
- registrations of a government (staff): Query gsi1 gsi1pk=LG#{lg_code}#REG
- write a registration change: TransactWriteItems over the person's items
- the answer of a request with an Idempotency-Key: pk=P#{sub}, sk=REPLY#{digest} (TTL a day),
  read with the partition and written in the request's transaction (no extra round trip)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato import clock
from furusato.domain.errors import Conflict, Unauthenticated, Unavailable
from furusato.domain.premium import renewal_due
from furusato.domain.profile import Profile
from furusato.domain.registration import LIVE_STATUSES, Participation, Registration
from furusato.domain.sweeps import inactivity_due, last_access
from furusato.store import cursor as cursors
from furusato.store.errors import batch_put, is_condition_failure, put_unless_exists, storage_errors
from furusato.store.keys import PROFILE_SK, person_pk, registration_sk
from furusato.store.models import (
    IdentityBindingItem,
    MainItem,
    ParticipationItem,
    PersonItem,
    RegistrationItem,
    ReplyItem,
    StayItem,
    best_effort,
)

logger = Logger(service="furusato", child=True)


def lg_registrations_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#REG"


@dataclass(frozen=True)
class Identity:
    verified_at: str
    identity_key: str
    minor: bool
    guardian_consent: dict[str, Any] | None


@dataclass(frozen=True)
class Reply:
    """The answer a request with an `Idempotency-Key` got (`reply_id` digests route and key)."""

    reply_id: str
    payload_hash: str
    status: int
    body: str


REPLY_DAYS = 1


def _reply_item(sub: str, reply: Reply) -> ReplyItem:
    return ReplyItem(
        person_pk(sub),
        f"REPLY#{reply.reply_id}",
        payload_hash=reply.payload_hash,
        status=reply.status,
        body=reply.body,
        expires_at=clock.now() + timedelta(days=REPLY_DAYS),
    )


def save_reply(sub: str, reply: Reply) -> bool:
    """Keep an answer when no transaction of the request carries it: one conditional put.
    False when the same reply id was kept meanwhile (a concurrent request with the key)."""
    return put_unless_exists(_reply_item(sub, reply)) is None


@dataclass
class PersonRecord:
    """What the system holds about one person, read in one Query."""

    sub: str
    profile: Profile | None = None
    last_seen: str | None = None
    exists: bool = False
    registrations: dict[str, Registration] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    participations: list[Participation] = field(default_factory=list)
    identity: Identity | None = None
    premium_version: int = 0
    # Approved stay declarations by government (rule 16).
    stays: dict[str, list[date]] = field(default_factory=dict)
    # Answers of keyed requests (Idempotency-Key) still kept: reply id -> Reply.
    replies: dict[str, Reply] = field(default_factory=dict)
    # The day the profile's inactivity due key holds (gsi2 IDLE#), as read.
    idle_due: str | None = None
    # Only some of the person's items were read (an index item): the due key is left alone.
    partial: bool = False

    def premium_lg_codes(self, excluding: str | None = None) -> list[str]:
        """Governments where the person holds premium or waits for its review (rule 13)."""
        return sorted(
            code
            for code, reg in self.registrations.items()
            if reg.plan == "premium" and reg.status in LIVE_STATUSES and code != excluding
        )


def _registration(item: RegistrationItem) -> Registration:
    return Registration(
        registration_id=item.registration_id,
        lg_code=item.lg_code,
        plan=item.plan,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        own_residence=item.own_residence,
        auto_created=item.auto_created,
        registered_at=item.registered_at,
        survey_answers=item.survey_answers or {},
        premium_valid_until=item.premium_valid_until,
        long_term_stayer=item.long_term_stayer,
        decision_reason=item.decision_reason,
        notice_sent_for=item.notice_sent_for,
        auto_upgrade=bool(item.auto_upgrade),
        upgrade_refused=item.upgrade_refused,
        inactivity_months=int(item.inactivity_months) if item.inactivity_months is not None else None,
    )


def load(sub: str) -> PersonRecord:
    record = PersonRecord(sub=sub)
    now = clock.now()
    with storage_errors():
        for item in MainItem.query(person_pk(sub)):
            if isinstance(item, PersonItem):
                record.exists = True
                record.last_seen = item.last_seen
                record.profile = _profile(item)
                record.premium_version = int(item.premium_version or 0)
                if item.gsi2pk and item.gsi2pk.startswith(IDLE_PREFIX) and item.gsi2sk:
                    record.idle_due = item.gsi2sk.split("#", 1)[0]
                if item.identity_verified_at and item.identity_key:
                    record.identity = Identity(
                        verified_at=item.identity_verified_at,
                        identity_key=item.identity_key,
                        minor=bool(item.identity_minor),
                        guardian_consent=item.guardian_consent,
                    )
            elif isinstance(item, RegistrationItem):
                record.registrations[item.lg_code] = _registration(item)
                record.versions[item.lg_code] = int(item.version)
            elif isinstance(item, ParticipationItem):
                record.participations.append(item.to_record())
            elif isinstance(item, StayItem):
                record.stays.setdefault(item.lg_code, []).append(date.fromisoformat(item.day))
            elif isinstance(item, ReplyItem) and (item.expires_at is None or item.expires_at > now):
                reply_id = item.sk.removeprefix("REPLY#")
                record.replies[reply_id] = Reply(reply_id, item.payload_hash, int(item.status), item.body)
    if not (record.exists or record.registrations or record.participations):
        # Nothing held: a new person, or one whose account was deleted and whose token is
        # still valid. Only here, so the requests of people with data pay nothing.
        from furusato.store import personal_data

        if personal_data.is_gone(sub):
            raise Unauthenticated("this account was deleted")
    return record


def _profile(item: PersonItem) -> Profile | None:
    if not (item.name and item.birth_date and item.residence_lg_code):
        return None
    return Profile(
        name=item.name,
        birth_date=date.fromisoformat(item.birth_date),
        gender=item.gender,  # type: ignore[arg-type]
        postal_code=item.postal_code or "",
        address=item.address or "",
        residence_lg_code=item.residence_lg_code,
    )


def _person_item(sub: str) -> PersonItem:
    return PersonItem(person_pk(sub), PROFILE_SK)


def touch_last_seen(record: PersonRecord, today: date) -> bool:
    """Write last_seen at most once per JST day; True when a write happened.

    Best-effort (`models.best_effort`: one attempt, a short timeout): a throttled or unanswered
    write (a push campaign's first accesses) is logged and skipped at once, never failing or
    holding the request that reads; the next request of the day tries again."""
    day = today.isoformat()
    if record.last_seen == day:
        return False
    pk, sk = person_pk(record.sub), PROFILE_SK
    due = idle_due_of(record, last_seen=today)
    try:
        with storage_errors():
            try:
                best_effort().update_item(
                    pk,
                    range_key=sk,
                    actions=[
                        PersonItem.type.set(PersonItem),  # updates that create must name the item's type
                        PersonItem.last_seen.set(day),
                        *idle_actions(record.sub, due),
                        PersonItem.created_at.set(PersonItem.created_at | clock.iso(clock.now())),
                    ],
                    condition=PersonItem.last_seen.does_not_exist() | (PersonItem.last_seen != day),
                )
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
                # Another request of the same person wrote it first: same effect.
    except Unavailable:
        logger.warning("last_seen not written (throttled or no answer)", extra={"sub": record.sub})
        return False
    record.last_seen = day
    record.idle_due = due.isoformat() if due else None
    record.exists = True
    return True


# The inactivity due index: each person with an active basic registration is held in one of a
# small fixed set of gsi2 partitions (by a hash of the person, so that a campaign's burst of first
# accesses spreads: docs/capacity.md), sorted by the day the inactivity sweep next acts on them.
# A run reads every person due on or before its day, oldest first, however far behind it is.
IDLE_SHARDS = 16
IDLE_PREFIX = "IDLE#"


def idle_shard(sub: str) -> int:
    return zlib.crc32(sub.encode()) % IDLE_SHARDS


def idle_key(shard: int) -> str:
    """gsi2 partition of one shard of the people waiting for the inactivity sweep."""
    return f"{IDLE_PREFIX}{shard:02d}"


def idle_sort_key(day: date, sub: str) -> str:
    """gsi2 sort key: the due day first, so that `< the next day` reads everything due by then."""
    return f"{day.isoformat()}#{sub}"


def idle_due_of(
    record: PersonRecord,
    registrations: dict[str, Registration] | None = None,
    *,
    last_seen: date | None = None,
) -> date | None:
    """The day the inactivity sweep next acts on the person (rule 6): from the last access
    (the later of last_seen and the latest participation) and each active basic registration's
    period. A check-in only moves the last access later, so a key it leaves behind is early,
    never late: the sweep then moves it on."""
    seen = last_seen.isoformat() if last_seen else record.last_seen
    access = last_access(seen, record.participations)
    return inactivity_due((registrations or record.registrations).values(), access)


def idle_actions(sub: str, due: date | None) -> list[Any]:
    """Update actions that place the profile under its inactivity due day, or take it out."""
    if due is None:
        return [PersonItem.gsi2pk.remove(), PersonItem.gsi2sk.remove()]
    return [PersonItem.gsi2pk.set(idle_key(idle_shard(sub))), PersonItem.gsi2sk.set(idle_sort_key(due, sub))]


# The due index is spread over a small fixed set of gsi2 partitions (no hot key), each sorted by
# the day the renewal sweep acts on a registration: a run reads every item due on or before its
# day, oldest first, however far behind it is.
DUE_SHARDS = 8


def due_shard(sub: str, lg_code: str) -> int:
    return zlib.crc32(f"{sub}#{lg_code}".encode()) % DUE_SHARDS


def due_key(shard: int) -> str:
    """gsi2 partition of one shard of the premium registrations waiting for the renewal sweep."""
    return f"DUE#{shard}"


def due_sort_key(day: date, sub: str, lg_code: str) -> str:
    """gsi2 sort key: the due day first, so that `< the next day` reads everything due by then."""
    return f"{day.isoformat()}#{sub}#{lg_code}"


def _registration_item(sub: str, reg: Registration, version: int) -> RegistrationItem:
    due = renewal_due(reg.plan, reg.status, reg.premium_valid_until, reg.notice_sent_for)
    return RegistrationItem(
        person_pk(sub),
        registration_sk(reg.lg_code),
        gsi1pk=lg_registrations_pk(reg.lg_code),
        gsi1sk=reg.registration_id,
        registration_id=reg.registration_id,
        lg_code=reg.lg_code,
        plan=reg.plan,
        status=reg.status,
        own_residence=reg.own_residence,
        auto_created=reg.auto_created,
        registered_at=reg.registered_at,
        updated_at=clock.iso(clock.now()),
        survey_answers=reg.survey_answers,
        premium_valid_until=reg.premium_valid_until,
        long_term_stayer=reg.long_term_stayer,
        withdrawn_at=clock.iso(clock.now()) if reg.status == "withdrawn" else None,
        version=version,
        decision_reason=reg.decision_reason,
        notice_sent_for=reg.notice_sent_for,
        auto_upgrade=reg.auto_upgrade,
        upgrade_refused=reg.upgrade_refused,
        inactivity_months=reg.inactivity_months,
        gsi2pk=due_key(due_shard(sub, reg.lg_code)) if due else None,
        gsi2sk=due_sort_key(due, sub, reg.lg_code) if due else None,
    )


def _transactions() -> Connection:
    """The models' own connection: its botocore client is created once per container, not per
    transaction (creating one costs ~0.3 s)."""
    return MainItem._get_connection().connection


def save(
    record: PersonRecord,
    changed: list[Registration],
    *,
    profile: Profile | None = None,
    touch: date | None = None,
    identity: Identity | None = None,
    reply: Reply | None = None,
) -> None:
    """Write registration changes (and optionally the profile / last_seen, and the answer of a
    keyed request, kept only if no request with the key was answered meanwhile) atomically.

    Each registration is written only if nobody changed it since `load` (its version), and a new
    one only if it still does not exist: two racing requests cannot both win.
    """
    connection = _transactions()
    merged = {**record.registrations, **{r.lg_code: r for r in changed}}
    due = idle_due_of(record, merged, last_seen=touch)
    with storage_errors():
        try:
            with TransactWrite(connection=connection) as tx:
                for reg in changed:
                    version = record.versions.get(reg.lg_code)
                    item = _registration_item(record.sub, reg, (version or 0) + 1)
                    condition: Any
                    if version is None:
                        condition = RegistrationItem.pk.does_not_exist()
                    else:
                        condition = RegistrationItem.version == version
                    tx.save(item, condition=condition)
                ledger = _ledger_after(record, changed)
                # The inactivity due key moves with every change of the last access or of the
                # registrations, in the same transaction (no extra round trip).
                idle = [] if record.partial else idle_actions(record.sub, due)
                if touch is None and (due.isoformat() if due else None) == record.idle_due:
                    idle = []
                if profile is not None or touch is not None or identity is not None or not record.exists:
                    actions = _person_actions(profile, touch, identity) + idle
                    if ledger is not None:
                        actions += ledger[0]
                    tx.update(
                        _person_item(record.sub), actions=actions, condition=ledger[1] if ledger else None
                    )
                elif ledger is not None or idle:
                    tx.update(
                        _person_item(record.sub),
                        actions=(ledger[0] if ledger else []) + idle,
                        condition=ledger[1] if ledger else None,
                    )
                if reply is not None:
                    tx.save(_reply_item(record.sub, reply), condition=ReplyItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise Conflict(
                    "the registration changed at the same time; retry", code="CONCURRENT_UPDATE"
                ) from exc
            raise
    for reg in changed:
        record.versions[reg.lg_code] = record.versions.get(reg.lg_code, 0) + 1
        record.registrations[reg.lg_code] = reg
    if profile is not None:
        record.profile = profile
    if touch is not None:
        record.last_seen = touch.isoformat()
    if identity is not None:
        record.identity = identity
    if ledger is not None:
        record.premium_version += 1
    if not record.partial:
        record.idle_due = due.isoformat() if due else None
    record.exists = True


def _ledger_after(record: PersonRecord, changed: list[Registration]) -> tuple[list[Any], Any] | None:
    """When the premium places change, write them with a condition on the version read: of two
    concurrent upgrades only one commits; the other is judged again on fresh data."""
    before = record.premium_lg_codes()
    merged = {**record.registrations, **{r.lg_code: r for r in changed}}
    after = sorted(
        code for code, reg in merged.items() if reg.plan == "premium" and reg.status in LIVE_STATUSES
    )
    if after == before:
        return None
    version = record.premium_version
    condition = PersonItem.premium_version == version
    if version == 0:
        condition = PersonItem.premium_version.does_not_exist() | condition
    actions = [PersonItem.premium_lg_codes.set(after), PersonItem.premium_version.set(version + 1)]
    return actions, condition


def _person_actions(
    profile: Profile | None, touch: date | None, identity: Identity | None = None
) -> list[Any]:
    now = clock.iso(clock.now())
    # The update may create the item: it must carry its type discriminator.
    actions: list[Any] = [
        PersonItem.type.set(PersonItem),
        PersonItem.created_at.set(PersonItem.created_at | now),
    ]
    if touch is not None:
        actions.append(PersonItem.last_seen.set(touch.isoformat()))
    if identity is not None:
        actions += [
            PersonItem.identity_verified_at.set(identity.verified_at),
            PersonItem.identity_key.set(identity.identity_key),
            PersonItem.identity_minor.set(identity.minor),
            PersonItem.guardian_consent.set(identity.guardian_consent)
            if identity.guardian_consent
            else PersonItem.guardian_consent.remove(),
        ]
    if profile is not None:
        actions += [
            PersonItem.name.set(profile.name),
            PersonItem.birth_date.set(profile.birth_date.isoformat()),
            PersonItem.gender.set(profile.gender),
            PersonItem.postal_code.set(profile.postal_code),
            PersonItem.address.set(profile.address),
            PersonItem.residence_lg_code.set(profile.residence_lg_code),
            PersonItem.updated_at.set(now),
        ]
    return actions


def list_for_lg(
    lg_code: str, *, plan: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Registration], str | None]:
    filters: list[Any] = []
    if plan:
        filters.append(RegistrationItem.plan == plan)
    if status:
        filters.append(RegistrationItem.status == status)
    found, next_cursor = cursors.page(
        RegistrationItem.gsi1.query,
        ("gsi1pk", lg_registrations_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        filter_condition=cursors.all_of(filters),
        scan_index_forward=False,
    )
    return [_registration(item) for item in found if isinstance(item, RegistrationItem)], next_cursor


def identity_binding_key(identity_key: str) -> tuple[str, str]:
    return f"IDENTITY#{identity_key}", "IDENTITY"


def bind_identity(identity_key: str, sub: str) -> None:
    """Rule 8: the first account to verify an identity keeps it; another gets
    IDENTITY_ALREADY_BOUND. Re-verifying the same account is fine."""
    pk, sk = identity_binding_key(identity_key)
    item = IdentityBindingItem(pk, sk, sub=sub, bound_at=clock.iso(clock.now()))
    with storage_errors():
        try:
            item.save(condition=IdentityBindingItem.pk.does_not_exist() | (IdentityBindingItem.sub == sub))
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict(
                    "this identity is already verified on another account", code="IDENTITY_ALREADY_BOUND"
                ) from exc
            raise


def release_identity(identity_key: str, sub: str) -> None:
    """Free an identity this account no longer carries (a new verification replaced it)."""
    pk, sk = identity_binding_key(identity_key)
    with storage_errors():
        try:
            IdentityBindingItem(pk, sk).delete(condition=IdentityBindingItem.sub == sub)
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise


def save_stays(sub: str, lg_code: str, days: list[date], approved_by: str, note: str | None) -> None:
    """Approved stay declarations; the same day twice is one stay day (the key is the day)."""
    now = clock.iso(clock.now())
    batch_put(
        [
            StayItem(
                person_pk(sub),
                f"STAY#{lg_code}#{day.isoformat()}",
                lg_code=lg_code,
                day=day.isoformat(),
                approved_by=approved_by,
                approved_at=now,
                note=note,
            )
            for day in sorted(set(days))  # one request may not name a key twice
        ]
    )


def find_registration(lg_code: str, registration_id: str) -> tuple[str, Registration] | None:
    """A registration of this government by id (staff routes): (sub, registration)."""
    with storage_errors():
        for item in RegistrationItem.gsi1.query(
            lg_registrations_pk(lg_code), RegistrationItem.gsi1sk == registration_id, limit=1
        ):
            if isinstance(item, RegistrationItem):
                return item.pk.removeprefix("P#"), _registration(item)
    return None
