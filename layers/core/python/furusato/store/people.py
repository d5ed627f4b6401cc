"""A person's partition: profile, registrations and participations under pk=P#{sub}.

Access patterns:
- everything about a person: Query pk=P#{sub} (one round trip)
- registrations of a government (staff): Query gsi1 gsi1pk=LG#{lg_code}#REG
- write a registration change: TransactWriteItems over the person's items
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato import clock
from furusato.domain.errors import Conflict
from furusato.domain.profile import Profile
from furusato.domain.registration import Participation, Registration
from furusato.store import cursor as cursors
from furusato.store.errors import is_condition_failure, storage_errors
from furusato.store.models import MainItem, ParticipationItem, PersonItem, RegistrationItem

PROFILE_SK = "PROFILE"


def person_pk(sub: str) -> str:
    return f"P#{sub}"


def registration_sk(lg_code: str) -> str:
    return f"REG#{lg_code}"


def lg_registrations_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#REG"


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
    )


def load(sub: str) -> PersonRecord:
    record = PersonRecord(sub=sub)
    with storage_errors():
        for item in MainItem.query(person_pk(sub)):
            if isinstance(item, PersonItem):
                record.exists = True
                record.last_seen = item.last_seen
                record.profile = _profile(item)
            elif isinstance(item, RegistrationItem):
                record.registrations[item.lg_code] = _registration(item)
                record.versions[item.lg_code] = int(item.version)
            elif isinstance(item, ParticipationItem):
                record.participations.append(item.to_record())
    return record


def _profile(item: PersonItem) -> Profile | None:
    if not (item.name and item.birth_date and item.postal_code and item.residence_lg_code):
        return None
    return Profile(
        name=item.name,
        birth_date=date.fromisoformat(item.birth_date),
        gender=item.gender,  # type: ignore[arg-type]
        postal_code=item.postal_code,
        address=item.address or "",
        residence_lg_code=item.residence_lg_code,
    )


def _person_item(sub: str) -> PersonItem:
    return PersonItem(person_pk(sub), PROFILE_SK)


def touch_last_seen(record: PersonRecord, today: date) -> bool:
    """Write last_seen at most once per JST day; True when a write happened."""
    day = today.isoformat()
    if record.last_seen == day:
        return False
    item = _person_item(record.sub)
    with storage_errors():
        try:
            item.update(
                actions=[
                    PersonItem.type.set(PersonItem),  # updates that create must name the item's type
                    PersonItem.last_seen.set(day),
                    PersonItem.created_at.set(PersonItem.created_at | clock.iso(clock.now())),
                ],
                condition=PersonItem.last_seen.does_not_exist() | (PersonItem.last_seen != day),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            # Another request of the same person wrote it first: same effect.
    record.last_seen = day
    record.exists = True
    return True


def _registration_item(sub: str, reg: Registration, version: int) -> RegistrationItem:
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
    )


def save(
    record: PersonRecord,
    changed: list[Registration],
    *,
    profile: Profile | None = None,
    touch: date | None = None,
) -> None:
    """Write registration changes (and optionally the profile / last_seen) atomically.

    Each registration is written only if nobody changed it since `load` (its version), and a new
    one only if it still does not exist: two racing requests cannot both win.
    """
    connection = Connection(region=PersonItem.Meta.region, host=PersonItem.Meta.host)
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
                if profile is not None or touch is not None or not record.exists:
                    tx.update(_person_item(record.sub), actions=_person_actions(profile, touch))
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
    record.exists = True


def _person_actions(profile: Profile | None, touch: date | None) -> list[Any]:
    now = clock.iso(clock.now())
    # The update may create the item: it must carry its type discriminator.
    actions: list[Any] = [
        PersonItem.type.set(PersonItem),
        PersonItem.created_at.set(PersonItem.created_at | now),
    ]
    if touch is not None:
        actions.append(PersonItem.last_seen.set(touch.isoformat()))
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
    partition = lg_registrations_pk(lg_code)
    start = cursors.decode(cursor, partition=("gsi1pk", partition))
    condition: Any = None
    if plan:
        condition = RegistrationItem.plan == plan
    if status:
        by_status = RegistrationItem.status == status
        condition = by_status if condition is None else condition & by_status
    with storage_errors():
        result = RegistrationItem.gsi1.query(
            partition,
            filter_condition=condition,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
            scan_index_forward=False,
        )
        items = [_registration(item) for item in result if isinstance(item, RegistrationItem)]
        return items, cursors.encode(result.last_evaluated_key)
