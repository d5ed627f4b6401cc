"""Matching backfilled people to registrants (rule 19): the match index and pending participants.

Both are keyed by the match key of `furusato.imports.validate.person_match_key` (a SHA-256 over
the normalised name, birth date and postal code). A pending participation holds the name as
written in the file (the activity's roster shows it) and nothing else in clear: no address, no
birth date; DynamoDB's TTL deletes it if nobody with those facts registers.

Access patterns:
- accounts of a match key: GetItem / BatchGetItem pk=MATCH#{match_key}, sk=MATCH (strongly
  consistent: a profile written a moment ago must be seen by an import, and the reverse)
- claim or release a key for an account: UpdateItem ADD / DELETE on the `subs` and
  `verified_subs` sets of that item (atomic; ALL_NEW answers the accounts after the change)
- pending participations of a person: Query pk=PENDING#{match_key} (consistent), sk PART#...
- write pending participations: BatchWriteItem (deterministic keys: a rewrite changes nothing
  but the TTL)
- the roster lists them: they carry gsi1pk=ACT#{activity_id} (store.participations.roster)
- attach one: TransactWriteItems of the participation's PutItem (attribute_not_exists) and the
  pending item's DeleteItem, so the roster never shows the person twice (or not at all)
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
    name: str = ""  # as written in the file
    checked_in_at: str = ""  # the activity's start: where the roster lists the person


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
                name=p.name,
                checked_in_at=p.checked_in_at,
                gsi1pk=f"ACT#{p.activity_id}",
                gsi1sk=f"{p.checked_in_at}#{p.participation_id}",
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
                        name=item.name or "",
                        checked_in_at=item.checked_in_at or "",
                    )
                )
    return out


def delete_pending(match_key: str, activity_key: str) -> None:
    with storage_errors():
        PendingParticipationItem(pending_pk(match_key), pending_sk(activity_key)).delete()


def attach(pending: Pending, participation: MainItem) -> None:
    """Replace a pending participation by the person's participation in one transaction: the
    roster lists either the pending row or the registrant's, never both. A participation that
    exists already (an earlier attempt) leaves only the pending item to delete."""
    from pynamodb.connection import Connection
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    connection: Connection = MainItem._get_connection().connection
    gone = PendingParticipationItem(pending_pk(pending.match_key), pending_sk(pending.activity_key))
    with storage_errors():
        try:
            with TransactWrite(connection=connection) as tx:
                tx.save(participation, condition=MainItem.pk.does_not_exist())
                tx.delete(gone)
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
            gone.delete()
