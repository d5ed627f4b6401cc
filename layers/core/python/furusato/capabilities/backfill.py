"""Backfilled participations and the people they belong to (rule 19).

An import writes each participation of a person it can match to a registrant into that person's
partition (so premium progress counts it); a person it cannot match is kept as pending
participations under the person's match key. When someone sets a profile or verifies identity
with the same facts (normalised name, birth date, postal code), `attach_pending` moves them into
that person's partition.

Who matches a key: exactly one account whose profile gives it, or, when several do, exactly one
of them with a verified identity. Otherwise (nobody, or an ambiguous tie) the rows stay pending.

Both sides write first and read second (the import writes pending items, then reads the match
index again; a profile write claims the key, then reads the pending items), with strongly
consistent reads, so a registration racing an import is never missed: at least one side sees
the other, and both seeing it changes nothing (deterministic keys, conditional puts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from furusato import clock
from furusato.clock import iso
from furusato.domain.activity import Activity
from furusato.domain.checkin import ParticipationRecord, new_record
from furusato.domain.profile import Profile
from furusato.store import imports as import_store
from furusato.store import matching, participations
from furusato.store.matching import Candidates, Pending

# Pending participations of people who never register are deleted (DynamoDB TTL) this long after
# the last import that wrote them: a little over a year, so that a whole fiscal year's backfill
# stays claimable through the next year's registrations. docs/imports.md, "Personal data".
PENDING_DAYS = 400
# How a backfilled activity checks in: never (its window is in the past); staff_scan keeps printed
# codes from ever applying to it and stays within the contract's check-in modes.
BACKFILL_CHECKIN_MODE = "staff_scan"
# Conditional PutItems of one chunk in flight at once (DynamoDB latency, not CPU, bounds them).
WRITERS = 8

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as store.ids


def backfill_id(prefix: str, key: str) -> str:
    """A stable id in the format of `store.ids.new_id` (`act_` + 26 characters) from a
    deterministic backfill key (32 hex digits, or any text: then hashed first)."""
    try:
        value = int(key, 16) if len(key) == 32 else None
    except ValueError:
        value = None
    if value is None:
        value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:16], "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return f"{prefix}_{''.join(reversed(chars))}"


def activity_id(activity_key: str) -> str:
    return backfill_id("act", activity_key)


def participation_id(participation_key: str) -> str:
    return backfill_id("par", participation_key)


def claimant(found: Candidates | None) -> str | None:
    """The one account a match key belongs to, or None (nobody, or ambiguous)."""
    if found is None or not found.subs:
        return None
    if len(found.subs) == 1:
        return next(iter(found.subs))
    verified = found.verified & found.subs
    if len(verified) == 1:
        return next(iter(verified))
    return None


def profile_match_key(profile: Profile | None) -> str | None:
    """The match key of a profile; None without a postal code (a verified identity alone)."""
    if profile is None or not profile.postal_code:
        return None
    from furusato.imports.validate import person_match_key

    return person_match_key(profile.name, profile.birth_date, profile.postal_code)


def pending_expiry(written: datetime) -> datetime:
    return written + timedelta(days=PENDING_DAYS)


def record_for(
    sub: str, activity: Activity, *, participation_id: str, recorded_at: datetime, import_id: str
) -> ParticipationRecord:
    """The participation a backfilled row proves: presence on the activity's (JST) start day."""
    return new_record(
        sub=sub,
        participation_id=participation_id,
        activity=activity,
        source="backfill",
        instant=activity.starts_at,
        now=recorded_at,
        offline=False,
        nonce=None,
        recorded_by=f"import:{import_id}",
    )


def _record_all(records: Sequence[ParticipationRecord]) -> None:
    """Write each record once (conditional PutItems, a few in flight), then judge what the new
    records mean for their people (automatic premium, the stayer flag)."""
    if len(records) <= 1:
        for r in records:
            participations.record(r)
    else:
        with ThreadPoolExecutor(max_workers=min(WRITERS, len(records))) as pool:
            for _ in pool.map(participations.record, records):
                pass
    _judge_people(records)


def _judge_people(records: Sequence[ParticipationRecord]) -> None:
    """Rule 14: backfill matching that meets the requirement upgrades an opted-in registrant the
    same way a scan does (judged today, on every record the person has)."""
    from furusato.capabilities import premium  # only imports that match someone pay for it

    governments: dict[str, set[str]] = {}
    for r in records:
        governments.setdefault(r.sub, set()).update(premium.governments_counting(r.lg_code))
    today = clock.today()
    for sub, codes in sorted(governments.items()):
        premium.after_participation(sub, codes, today)


# --- attaching pending participations ----------------------------------------------------------


def _attach(sub: str, match_key: str) -> int:
    """Move the key's pending participations into the person's partition; how many there were."""
    pending = matching.pending_of(match_key)
    if not pending:
        return 0
    stored = import_store.activities_by_id({(p.lg_code, p.activity_id) for p in pending})
    now = clock.now()
    records = [
        record_for(
            sub,
            stored[(p.lg_code, p.activity_id)],
            participation_id=p.participation_id,
            recorded_at=now,
            import_id=p.import_id,
        )
        for p in pending
        if (p.lg_code, p.activity_id) in stored
    ]
    by_activity = {(r.lg_code, r.activity_id): r for r in records}
    for p in pending:
        record = by_activity.get((p.lg_code, p.activity_id))
        if record is None:
            continue  # its activity is gone: the pending item waits for its TTL
        # One transaction each: the roster shows the pending row or the registrant's, never both.
        matching.attach(p, participations.item_of(record))
    _judge_people(records)
    return len(records)


def attach_pending(
    sub: str, profile: Profile | None, *, previous: Profile | None = None, verified: bool = False
) -> int:
    """After a profile is saved or an identity verified: keep the match index in step with the
    person's facts and attach the backfilled participations waiting for them.

    `previous` is the profile before the change (its key is released when the facts changed);
    `verified` says the facts come from a verified identity (it wins a tie between accounts).
    Returns the number of participations attached. Two round trips when nothing waits.
    """
    key = profile_match_key(profile)
    old = profile_match_key(previous)
    if old is not None and old != key:
        matching.release(old, sub)
    if key is None:
        return 0
    if claimant(matching.claim(key, sub, verified=verified)) != sub:
        return 0
    return _attach(sub, key)


# --- writing an import's people ----------------------------------------------------------------


@dataclass
class PersonRows:
    """One person of a file (one match key) and their participations: (activity key,
    participation key) pairs."""

    match_key: str
    participations: list[tuple[str, str]] = field(default_factory=list)
    name: str = ""  # as written in the file (the roster shows pending people by it)


@dataclass
class ChunkOutcome:
    matched: int = 0
    pending: int = 0


def match_counts(people: Sequence[PersonRows]) -> ChunkOutcome:
    """How many of these people would match a registrant now (a dry run: reads only)."""
    found = matching.candidates(p.match_key for p in people)
    outcome = ChunkOutcome()
    for person in people:
        if claimant(found.get(person.match_key)) is not None:
            outcome.matched += 1
        else:
            outcome.pending += 1
    return outcome


def write_people(
    people: Sequence[PersonRows],
    activities: dict[str, Activity],
    *,
    import_id: str,
    recorded_at: datetime,
) -> ChunkOutcome:
    """Write one chunk of people (at most 100): matched people's participations into their
    partitions, the others' as pending. Every write is keyed deterministically, so writing a
    chunk again (a redelivered event, the same file again) changes nothing."""
    found = matching.candidates(p.match_key for p in people)
    recorded = iso(recorded_at)
    expires = pending_expiry(recorded_at)
    records: list[ParticipationRecord] = []
    pending: list[Pending] = []
    waiting: list[PersonRows] = []
    outcome = ChunkOutcome()
    for person in people:
        sub = claimant(found.get(person.match_key))
        if sub is not None:
            outcome.matched += 1
            records += [
                record_for(
                    sub,
                    activities[activity_key],
                    participation_id=participation_id(key),
                    recorded_at=recorded_at,
                    import_id=import_id,
                )
                for activity_key, key in person.participations
            ]
            continue
        waiting.append(person)
        for activity_key, key in person.participations:
            activity = activities[activity_key]
            pending.append(
                Pending(
                    match_key=person.match_key,
                    activity_key=activity_key,
                    lg_code=activity.lg_code,
                    activity_id=activity.activity_id,
                    participation_id=participation_id(key),
                    import_id=import_id,
                    written_at=recorded,
                    expires_at=expires,
                    name=person.name,
                    checked_in_at=iso(activity.starts_at),
                )
            )
    _record_all(records)
    matching.put_pending(pending)
    if waiting:
        # Someone may have registered with these facts while this chunk was written.
        again = matching.candidates(p.match_key for p in waiting)
        for person in waiting:
            sub = claimant(again.get(person.match_key))
            if sub is not None:
                _attach(sub, person.match_key)
                outcome.matched += 1
            else:
                outcome.pending += 1
    return outcome
