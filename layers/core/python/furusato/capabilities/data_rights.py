"""A registrant's data rights (rule 24): everything held about them, and deletion.

Where a person's data lives:
1. Their partition `P#{sub}` (profile with the identity result, registrations, participations,
   stays, and whatever else is stored there later): read and deleted whole, whatever the item
   types, so new kinds of items there need no change here. `PARTITION_SECTIONS` names the
   section of the export each type goes to.
2. Everywhere else: `OTHER_PLACES`, an explicit list. Each place exports what it holds about the
   person and deletes it. A feature that stores person-linked data outside the partition adds
   its place here (and a row to docs/personal-data.md); the deletion test then covers it.

What stays after deletion: anonymous counts only, the hashed mark that refuses the account's
remaining tokens (kept two days), and the audit trail, whose records name staff and object ids
but never the person's account, name or birth date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from furusato import clock
from furusato.capabilities.backfill import profile_match_key
from furusato.settings import settings
from furusato.store import accounts, matching, notifications, people, personal_data, support, uploads
from furusato.views.registration import data_export_view

# Item `type` in the person's partition -> export section.
PARTITION_SECTIONS: dict[str, str] = {
    "person": "profile",
    "registration": "registrations",
    "participation": "participations",
    "stay": "stays",
    "support_application": "support_applications",
    "consultation": "consultations",
    "upload": "uploads",
}
SECTIONS = (
    "registrations",
    "participations",
    "stays",
    "support_applications",
    "consultations",
    "notifications",
    "uploads",
)


class Held(NamedTuple):
    """What was read about the person: their partition's items and their profile item."""

    sub: str
    items: list[dict[str, Any]]

    @property
    def profile(self) -> dict[str, Any] | None:
        return next((i for i in self.items if i.get("type") == "person"), None)


class Place(NamedTuple):
    """A place outside the person's partition that holds data about them."""

    name: str
    section: str | None  # the export section it adds to (None: nothing to show, e.g. a hash)
    export: Callable[[Held], list[dict[str, Any]]]
    delete: Callable[[Held], None]


def _inbox(held: Held) -> list[dict[str, Any]]:
    return [personal_data.public(i) for i in personal_data.partition(notifications.inbox_pk(held.sub))]


def _delete_partition(pk: str) -> None:
    personal_data.delete((i["pk"], i["sk"]) for i in personal_data.partition(pk))


def _match_key(held: Held) -> str | None:
    profile = held.profile
    if not profile or not (profile.get("name") and profile.get("birth_date") and profile.get("postal_code")):
        return None
    from datetime import date

    from furusato.domain.profile import Profile

    return profile_match_key(
        Profile(
            name=profile["name"],
            birth_date=date.fromisoformat(profile["birth_date"]),
            gender=profile.get("gender"),  # type: ignore[arg-type]
            postal_code=profile["postal_code"],
            address=profile.get("address") or "",
            residence_lg_code=profile.get("residence_lg_code") or "",
        )
    )


def _release_match(held: Held) -> None:
    key = _match_key(held)
    if key:
        matching.release(key, held.sub)
        # Backfilled rows with the person's facts that were never attached describe them too.
        _delete_partition(matching.pending_pk(key))


def _release_identity(held: Held) -> None:
    key = (held.profile or {}).get("identity_key")
    if key:
        people.release_identity(key, held.sub)


def _nothing(_held: Held) -> list[dict[str, Any]]:
    return []


def _uploads(held: Held) -> list[dict[str, Any]]:
    return [personal_data.public(i) for i in personal_data.partition(uploads.uploads_pk(held.sub))]


def _delete_uploads(held: Held) -> None:
    items = personal_data.partition(uploads.uploads_pk(held.sub))
    for item in items:
        uploads.erase(item["object_key"])  # every version of the file
    personal_data.delete((i["pk"], i["sk"]) for i in items)


def _applications(held: Held) -> list[dict[str, Any]]:
    found = personal_data.partition(support.person_applications_pk(held.sub), key="gsi1pk", index="gsi1")
    return [personal_data.public(i) for i in found]


def _delete_applications(held: Held) -> None:
    """The applications leave the government's partition; the measure's counters (yen approved
    and paid, counts by status) stay, as anonymous counts."""
    found = personal_data.partition(support.person_applications_pk(held.sub), key="gsi1pk", index="gsi1")
    personal_data.delete((i["pk"], i["sk"]) for i in found)


def _consultations(held: Held) -> list[dict[str, Any]]:
    from furusato.store import consultations
    from furusato.views.consultation import consultation_view

    return [consultation_view(c) for c in consultations.of_person(held.sub)]


def _delete_consultations(held: Held) -> None:
    from furusato.store import consultations

    consultations.erase_person(held.sub)


def _delete_idempotency_records(held: Held) -> None:
    table = settings().idempotency_table
    records = personal_data.partition(personal_data.caller_partition(held.sub), table, key="id")
    personal_data.delete(((r["id"], r["sk"]) for r in records), table, names=("id", "sk"))


OTHER_PLACES: tuple[Place, ...] = (
    Place("notifications (N#{sub})", "notifications", _inbox, lambda h: _delete_partition(f"N#{h.sub}")),
    Place("failed-scan counters (RL#{sub})", None, _nothing, lambda h: _delete_partition(f"RL#{h.sub}")),
    Place("identity binding (IDENTITY#{identity_key})", None, _nothing, _release_identity),
    Place("backfill match key and pending rows (MATCH#, PENDING#)", None, _nothing, _release_match),
    Place("idempotency records (CALLER#{sub})", None, _nothing, _delete_idempotency_records),
    Place("uploads (P#{sub}#UPLOAD and their files)", "uploads", _uploads, _delete_uploads),
    Place(
        "support applications (LG#{lg}/SAPP#…, gsi1 P#{sub}#SAPP)",
        "support_applications",
        _applications,
        _delete_applications,
    ),
    Place(
        "consultations (CONS#{id} with their messages, gsi2 P#{sub}#CONS)",
        "consultations",
        _consultations,
        _delete_consultations,
    ),
    Place(
        "support yen per year (P#{sub}#SUPPORT)",
        None,
        _nothing,
        lambda h: _delete_partition(f"P#{h.sub}#SUPPORT"),
    ),
)


def _held(sub: str) -> Held:
    return Held(sub, personal_data.partition(people.person_pk(sub)))


def export(sub: str) -> dict[str, Any]:
    """GET /v1/me/data: every item held about the person, as stored, without internal keys."""
    people.load(sub)  # a deleted account's token is refused here
    held = _held(sub)
    profile: dict[str, Any] | None = None
    sections: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS}
    for item in held.items:
        section = PARTITION_SECTIONS.get(str(item.get("type")), str(item.get("type")) + "s")
        if section == "profile":
            profile = personal_data.public(item)
        else:
            sections.setdefault(section, []).append(personal_data.public(item))
    for place in OTHER_PLACES:
        if place.section:
            sections.setdefault(place.section, []).extend(place.export(held))
    return data_export_view(sub, profile, sections)


def delete(sub: str) -> None:
    """DELETE /v1/me. Every registration is withdrawn first (as a person withdrawing would, so
    counts follow), then every place outside the partition is cleared, then the partition; a
    retry after a failure finds what is left and finishes."""
    record = people.load(sub)
    ending = [
        replace(reg, status="withdrawn", survey_answers={})
        for reg in record.registrations.values()
        if reg.status != "withdrawn"
    ]
    if ending:
        people.save(record, ending)
    held = _held(sub)
    for place in OTHER_PLACES:
        place.delete(held)
    personal_data.delete((i["pk"], i["sk"]) for i in held.items)
    accounts.delete_registrant_user(sub)
    personal_data.mark_gone(sub, int(clock.now().timestamp()))
