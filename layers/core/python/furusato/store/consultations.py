"""Consultations: a header item and one item per message under pk=CONS#{consultation_id}.

Access patterns:
- one consultation with its messages: Query pk=CONS#{id}, consistent (the caller then checks it
  is theirs: the person's sub, or the staff member's government; anyone else gets 404)
- open: TransactWriteItems: ConditionCheck the registration (P#{sub}, REG#{lg_code}) is live
  (else 409 NOT_REGISTERED), Put the header and the first message (attribute_not_exists)
- add a message: TransactWriteItems: Update the header with messages_count = :read and status
  <> closed, Put the message at the next sequence number, and for a registrant the same
  registration check, for a staff reply the notification (attribute_not_exists)
- close: UpdateItem, condition status <> closed
- staff list by status, oldest waiting first: Query gsi1 LG#{lg_code}#CONS (begins_with
  {rank}#{status}# when filtered), ascending
- the person's consultations (their list, their data, deleting them): Query gsi2 P#{sub}#CONS
- erase a person's consultations: that Query, then per consultation Query pk=CONS#{id} (keys
  only) and BatchWriteItem deletes
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato.domain.consultation import status_rank
from furusato.domain.errors import Conflict
from furusato.domain.registration import LIVE_STATUSES
from furusato.store import cursor as cursors
from furusato.store.contents import instant_key
from furusato.store.errors import cancellation_reasons, is_condition_failure, storage_errors
from furusato.store.keys import person_pk, registration_sk
from furusato.store.models import (
    ConsultationItem,
    ConsultationMessageItem,
    MainItem,
    NotificationItem,
    RegistrationItem,
)

HEADER_SK = "CONS"


def consultation_pk(consultation_id: str) -> str:
    return f"CONS#{consultation_id}"


def lg_list_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#CONS"


def person_list_pk(sub: str) -> str:
    return f"P#{sub}#CONS"


def message_sk(seq: int) -> str:
    return f"MSG#{seq:05d}"


@dataclass(frozen=True)
class Message:
    sender: str
    body: str
    at: str


@dataclass
class Consultation:
    consultation_id: str
    lg_code: str
    sub: str
    topic: str
    subject: str
    status: str
    waiting_since: str
    created_at: str
    updated_at: str
    messages_count: int = 0
    messages: list[Message] = field(default_factory=list)


def _from_item(item: ConsultationItem) -> Consultation:
    return Consultation(
        consultation_id=item.consultation_id,
        lg_code=item.lg_code,
        sub=item.sub,
        topic=item.topic,
        subject=item.subject,
        status=item.status,
        waiting_since=item.waiting_since,
        created_at=item.created_at,
        updated_at=item.updated_at,
        messages_count=int(item.messages_count or 0),
    )


def _list_key(c: Consultation) -> str:
    since = instant_key(datetime.fromisoformat(c.waiting_since))
    return f"{status_rank(c.status)}#{c.status}#{since}#{c.consultation_id}"


def _header(c: Consultation) -> ConsultationItem:
    return ConsultationItem(
        consultation_pk(c.consultation_id),
        HEADER_SK,
        gsi1pk=lg_list_pk(c.lg_code),
        gsi1sk=_list_key(c),
        gsi2pk=person_list_pk(c.sub),
        gsi2sk=f"{c.created_at}#{c.consultation_id}",
        consultation_id=c.consultation_id,
        lg_code=c.lg_code,
        sub=c.sub,
        topic=c.topic,
        subject=c.subject,
        status=c.status,
        waiting_since=c.waiting_since,
        created_at=c.created_at,
        updated_at=c.updated_at,
        messages_count=c.messages_count,
    )


def _message(consultation_id: str, seq: int, message: Message, by: str | None) -> ConsultationMessageItem:
    return ConsultationMessageItem(
        consultation_pk(consultation_id),
        message_sk(seq),
        sender=message.sender,
        body=message.body,
        at=message.at,
        by=by,
    )


def _registration_is_live(sub: str, lg_code: str) -> tuple[RegistrationItem, Any]:
    return RegistrationItem(person_pk(sub), registration_sk(lg_code)), RegistrationItem.status.is_in(
        *sorted(LIVE_STATUSES)
    )


class NotRegistered(Conflict):
    code = "NOT_REGISTERED"


def _not_registered(lg_code: str) -> NotRegistered:
    return NotRegistered("you are not registered with this local government", details={"lg_code": lg_code})


def open_consultation(c: Consultation, first: Message) -> None:
    """The registration check, the header and the first message in one transaction."""
    item, live = _registration_is_live(c.sub, c.lg_code)
    with storage_errors():
        try:
            with TransactWrite(connection=MainItem._get_connection().connection) as tx:
                tx.condition_check(RegistrationItem, item.pk, item.sk, condition=live)
                tx.save(_header(c), condition=ConsultationItem.pk.does_not_exist())
                tx.save(
                    _message(c.consultation_id, 1, first, None),
                    condition=ConsultationMessageItem.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if is_condition_failure(exc) and cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
                raise _not_registered(c.lg_code) from exc
            raise


def get(consultation_id: str) -> Consultation | None:
    header: Consultation | None = None
    messages: list[tuple[str, Message]] = []
    with storage_errors():
        for item in MainItem.query(consultation_pk(consultation_id), consistent_read=True):
            if isinstance(item, ConsultationItem):
                header = _from_item(item)
            elif isinstance(item, ConsultationMessageItem):
                messages.append((item.sk, Message(item.sender, item.body, item.at)))
    if header is not None:
        header.messages = [m for _, m in sorted(messages, key=lambda pair: pair[0])]
    return header


def add_message(
    before: Consultation,
    after: Consultation,
    message: Message,
    *,
    by: str | None,
    notification: NotificationItem | None = None,
) -> None:
    """Append at the next sequence number, only if nobody added a message or closed it since the
    read; a registrant must still be registered; a staff reply brings its notification."""
    seq = before.messages_count + 1
    header = _header(after)
    with storage_errors():
        try:
            with TransactWrite(connection=MainItem._get_connection().connection) as tx:
                tx.update(
                    header,
                    actions=[
                        ConsultationItem.status.set(after.status),
                        ConsultationItem.waiting_since.set(after.waiting_since),
                        ConsultationItem.updated_at.set(after.updated_at),
                        ConsultationItem.messages_count.set(seq),
                        ConsultationItem.gsi1sk.set(header.gsi1sk),
                    ],
                    condition=(ConsultationItem.messages_count == before.messages_count)
                    & (ConsultationItem.status != "closed"),
                )
                tx.save(
                    _message(after.consultation_id, seq, message, by),
                    condition=ConsultationMessageItem.pk.does_not_exist(),
                )
                if message.sender == "registrant":
                    item, live = _registration_is_live(after.sub, after.lg_code)
                    tx.condition_check(RegistrationItem, item.pk, item.sk, condition=live)
                if notification is not None:
                    tx.save(notification, condition=NotificationItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
            # pynamodb sends condition checks first: a registrant's registration check is reason 0.
            reasons = cancellation_reasons(exc)
            if message.sender == "registrant" and reasons[:1] == ["ConditionalCheckFailed"]:
                raise _not_registered(after.lg_code) from exc
            raise Conflict(
                "the consultation changed meanwhile; read it again", code="CONSULTATION_CHANGED"
            ) from exc


def close(c: Consultation, *, by: str) -> bool:
    """False when it was already closed (closing twice converges)."""
    header = _header(c)
    with storage_errors():
        try:
            header.update(
                actions=[
                    ConsultationItem.status.set("closed"),
                    ConsultationItem.waiting_since.set(c.waiting_since),
                    ConsultationItem.updated_at.set(c.updated_at),
                    ConsultationItem.closed_by.set(by),
                    ConsultationItem.gsi1sk.set(header.gsi1sk),
                ],
                condition=ConsultationItem.pk.exists() & (ConsultationItem.status != "closed"),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
    return True


def list_for_lg(
    lg_code: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Consultation], str | None]:
    condition = ConsultationItem.gsi1sk.startswith(f"{status_rank(status)}#{status}#") if status else None
    found, next_cursor = cursors.page(
        ConsultationItem.gsi1.query,
        ("gsi1pk", lg_list_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        range_key_condition=condition,
    )
    return [_from_item(i) for i in found if isinstance(i, ConsultationItem)], next_cursor


def list_for_person(sub: str, *, limit: int, cursor: str | None) -> tuple[list[Consultation], str | None]:
    """Newest first. Also how the person's data is found: every consultation of the person is in
    this index partition."""
    found, next_cursor = cursors.page(
        ConsultationItem.gsi2.query,
        ("gsi2pk", person_list_pk(sub)),
        cursor=cursor,
        limit=limit,
        scan_index_forward=False,
    )
    return [_from_item(i) for i in found if isinstance(i, ConsultationItem)], next_cursor


def of_person(sub: str) -> list[Consultation]:
    """Every consultation of the person, with its messages (their data export)."""
    found: list[Consultation] = []
    cursor: str | None = None
    while True:
        page, cursor = list_for_person(sub, limit=100, cursor=cursor)
        found += [c for c in (get(p.consultation_id) for p in page) if c is not None]
        if cursor is None:
            return found


def erase_person(sub: str) -> int:
    """Delete every consultation of the person with its messages (their data's deletion).
    Returns the consultations deleted; running it again deletes nothing more."""
    erased = 0
    cursor: str | None = None
    with storage_errors():
        while True:
            page, cursor = list_for_person(sub, limit=100, cursor=cursor)
            with MainItem.batch_write() as batch:
                for c in page:
                    keys_only = ["pk", "sk", "type"]
                    for item in MainItem.query(
                        consultation_pk(c.consultation_id), attributes_to_get=keys_only
                    ):
                        batch.delete(item)
            erased += len(page)
            if cursor is None:
                return erased
