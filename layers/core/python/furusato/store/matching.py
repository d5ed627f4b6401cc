"""Matching backfilled people to registrants (rule 19): the match index and pending participants.

Both are keyed by the match key of `furusato.imports.validate.person_match_key` (a SHA-256 over
the normalised name, birth date and postal code): nothing here holds a name, an address or a
birth date in clear.

Access patterns:
- accounts of a match key: GetItem / BatchGetItem pk=MATCH#{match_key}, sk=MATCH (strongly
  consistent: a profile written a moment ago must be seen by an import, and the reverse)
- claim or release a key for an account: UpdateItem ADD / DELETE on the `subs` and
  `verified_subs` sets of that item (atomic; ALL_NEW answers the accounts after the change)
- pending participations of a person: Query pk=PENDING#{match_key} (consistent), sk PART#...
- write pending participations: BatchWriteItem (deterministic keys: a rewrite changes nothing
  but the TTL)
- forget one once attached: DeleteItem pk=PENDING#{match_key}, sk=PART#{activity_key}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from furusato.store.errors import batch_put, is_condition_failure, storage_errors
from furusato.store.models import MainItem, MatchItem, PendingParticipationItem

MATCH_SK = "MATCH"
BATCH_GET_MAX = 100


def match_key_of(pk: str) -> str:
    return pk.split("#", 1)[1]


def match_pk(match_key: str) -> str:
    return f"MATCH#{match_key}"


def pending_pk(match_key: str) -> str:
    return f"PENDING#{match_key}"


def pending_sk(activity_key: str) -> str:
    return f"PART#{activity_key}"


@dataclass(frozen=True)
class Candidates:
    """The accounts whose profile gives one match key, and those among them with a verified
    identity."""

    subs: frozenset[str] = frozenset()
    verified: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pending:
    match_key: str
    activity_key: str
    lg_code: str
    activity_id: str
    participation_id: str
    import_id: str
    written_at: str
    expires_at: datetime


def _candidates(item: MatchItem) -> Candidates:
    return Candidates(frozenset(item.subs or ()), frozenset(item.verified_subs or ()))


def claim(match_key: str, sub: str, *, verified: bool) -> Candidates:
    """Add the account to the key's accounts (and to the verified ones); the accounts after it."""
    item = MatchItem(match_pk(match_key), MATCH_SK)
    actions: list[Any] = [MatchItem.type.set(MatchItem), MatchItem.subs.add({sub})]
    if verified:
        actions.append(MatchItem.verified_subs.add({sub}))
    with storage_errors():
        item.update(actions=actions)
    return _candidates(item)


def release(match_key: str, sub: str) -> None:
    """The account's profile no longer gives this key (the facts changed)."""
    item = MatchItem(match_pk(match_key), MATCH_SK)
    with storage_errors():
        try:
            item.update(
                actions=[MatchItem.subs.delete({sub}), MatchItem.verified_subs.delete({sub})],
                condition=MatchItem.pk.exists(),  # never create an untyped item
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return
            raise
        if item.subs:
            return
        try:
            # Nobody left: drop the item unless an account claimed the key meanwhile.
            item.delete(condition=MatchItem.subs.does_not_exist())
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise


def candidates(match_keys: Iterable[str]) -> dict[str, Candidates]:
    """The accounts of each key that has any (BatchGetItem, 100 keys a call, consistent)."""
    wanted = sorted(set(match_keys))
    found: dict[str, Candidates] = {}
    with storage_errors():
        for start in range(0, len(wanted), BATCH_GET_MAX):
            keys = [(match_pk(k), MATCH_SK) for k in wanted[start : start + BATCH_GET_MAX]]
            for item in MainItem.batch_get(keys, consistent_read=True):
                if isinstance(item, MatchItem) and item.subs:
                    found[match_key_of(item.pk)] = _candidates(item)
    return found


def put_pending(pending: Sequence[Pending]) -> None:
    batch_put(
        [
            PendingParticipationItem(
                pending_pk(p.match_key),
                pending_sk(p.activity_key),
                lg_code=p.lg_code,
                activity_id=p.activity_id,
                participation_id=p.participation_id,
                import_id=p.import_id,
                written_at=p.written_at,
                expires_at=p.expires_at,
            )
            for p in pending
        ]
    )


def pending_of(match_key: str) -> list[Pending]:
    out: list[Pending] = []
    with storage_errors():
        for item in PendingParticipationItem.query(pending_pk(match_key), consistent_read=True):
            if isinstance(item, PendingParticipationItem):
                out.append(
                    Pending(
                        match_key=match_key,
                        activity_key=item.sk.split("#", 1)[1],
                        lg_code=item.lg_code,
                        activity_id=item.activity_id,
                        participation_id=item.participation_id,
                        import_id=item.import_id,
                        written_at=item.written_at,
                        expires_at=item.expires_at,
                    )
                )
    return out


def delete_pending(match_key: str, activity_key: str) -> None:
    with storage_errors():
        PendingParticipationItem(pending_pk(match_key), pending_sk(activity_key)).delete()
