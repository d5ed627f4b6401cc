"""Content of a government: one item per content, never a copy per reader.

Access patterns:
- one content: GetItem pk=LG#{lg_code}, sk=CONTENT#{content_id} (another government's id is
  not in the partition: 404)
- staff list, newest first: Query pk=LG#{lg_code}, sk begins_with CONTENT#, descending
- the feed of one government below a position: Query gsi1 gsi1pk=LG#{lg_code}#FEED,
  gsi1sk < position, descending (a reader's page is one Query per government)
- create: PutItem attribute_not_exists(pk); edit: PutItem with version = :read (two editors
  cannot both win); delete: DeleteItem
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from furusato.domain.content import Content, Target
from furusato.domain.errors import Conflict, NotFound
from furusato.store import cursor as cursors
from furusato.store.errors import find, is_condition_failure, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import ContentItem

SK_PREFIX = "CONTENT#"


def key(lg_code: str, content_id: str) -> tuple[str, str]:
    return lg_pk(lg_code), f"{SK_PREFIX}{content_id}"


def feed_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#FEED"


def instant_key(instant: datetime) -> str:
    """UTC, fixed width: sorts as time across every government's feed."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def feed_key(content: Content) -> str | None:
    if content.published_at is None:
        return None
    return f"{instant_key(content.published_at)}#{content.content_id}"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _target(raw: dict[str, Any] | None) -> Target:
    raw = raw or {}
    plans = raw.get("plans")
    survey = raw.get("survey")
    prefectures = raw.get("residence_prefecture_codes")
    return Target(
        plans=tuple(plans) if plans is not None else None,
        survey={k: tuple(v) for k, v in survey.items()} if survey is not None else None,
        residence_prefecture_codes=tuple(prefectures) if prefectures is not None else None,
    )


def _target_item(target: Target) -> dict[str, Any]:
    """The conditions given (an absent one does not limit)."""
    out: dict[str, Any] = {}
    if target.plans is not None:
        out["plans"] = list(target.plans)
    if target.survey is not None:
        out["survey"] = {qid: list(values) for qid, values in target.survey.items()}
    if target.residence_prefecture_codes is not None:
        out["residence_prefecture_codes"] = list(target.residence_prefecture_codes)
    return out


def to_domain(item: ContentItem) -> Content:
    return Content(
        content_id=item.content_id,
        lg_code=item.lg_code,
        lg_name=item.lg_name,
        kind=item.kind,  # type: ignore[arg-type]
        title=item.title,
        body=item.body,
        body_html=item.body_html,
        target=_target(item.target),
        publish_at=_instant(item.publish_at),
        published_at=_instant(item.published_at),
        expires_at=_instant(item.content_expires_at),
        draft=bool(item.draft),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _item(content: Content, *, created_by: str | None, updated_by: str | None, version: int) -> ContentItem:
    pk, sk = key(content.lg_code, content.content_id)
    sort_key = feed_key(content)
    return ContentItem(
        pk,
        sk,
        gsi1pk=feed_pk(content.lg_code) if sort_key else None,
        gsi1sk=sort_key,
        content_id=content.content_id,
        lg_code=content.lg_code,
        lg_name=content.lg_name,
        kind=content.kind,
        title=content.title,
        body=content.body,
        body_html=content.body_html,
        target=_target_item(content.target),
        publish_at=content.publish_at.isoformat() if content.publish_at else None,
        published_at=content.published_at.isoformat() if content.published_at else None,
        content_expires_at=content.expires_at.isoformat() if content.expires_at else None,
        draft=content.draft,
        created_at=content.created_at,
        created_by=created_by,
        updated_at=content.updated_at,
        updated_by=updated_by,
        version=version,
    )


def create(content: Content, *, by: str) -> None:
    with storage_errors():
        _item(content, created_by=by, updated_by=by, version=1).save(
            condition=ContentItem.pk.does_not_exist()
        )


def replace(stored: Stored, content: Content, *, by: str) -> None:
    """Write an edit only if nobody changed or deleted the content since it was read."""
    with storage_errors():
        try:
            _item(content, created_by=stored.created_by, updated_by=by, version=stored.version + 1).save(
                condition=ContentItem.version == stored.version
            )
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict(
                    "the content changed meanwhile; read it again", code="CONTENT_CHANGED"
                ) from exc
            raise


@dataclass(frozen=True)
class Stored:
    content: Content
    created_by: str | None
    version: int


def get(lg_code: str, content_id: str) -> Stored:
    pk, sk = key(lg_code, content_id)
    item = find(ContentItem, pk, sk)
    if item is None:
        raise NotFound("content not found")
    return Stored(to_domain(item), item.created_by, int(item.version or 0))


def delete(lg_code: str, content_id: str) -> None:
    pk, sk = key(lg_code, content_id)
    with storage_errors():
        try:
            ContentItem(pk, sk).delete(condition=ContentItem.pk.exists())
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise NotFound("content not found") from exc
            raise


def list_for_staff(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[Content], str | None]:
    found, next_cursor = cursors.page(
        ContentItem.query,
        ("pk", lg_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        range_key_condition=ContentItem.sk.startswith(SK_PREFIX),
        scan_index_forward=False,
    )
    return [to_domain(item) for item in found if isinstance(item, ContentItem)], next_cursor


@dataclass(frozen=True)
class FeedSlice:
    """One government's feed below a position: up to `limit` items, newest first. `more` says
    the government may hold further items below the last one."""

    items: list[tuple[str, Content]]
    more: bool


def feed_slice(lg_code: str, *, below: str, limit: int) -> FeedSlice:
    """Exactly one Query request: the items whose feed key sorts below `below`, newest first.
    A response cut short (1 MB) is fine: `more` says so and the caller does not read past it."""
    with storage_errors():
        result = ContentItem.gsi1.query(
            feed_pk(lg_code),
            ContentItem.gsi1sk < below,
            scan_index_forward=False,
            page_size=limit,
        )
        try:
            page = next(result.page_iter)  # one page, not pynamodb's paging up to a limit
        except StopIteration:
            return FeedSlice([], more=False)
        items: list[tuple[str, Content]] = []
        for raw in page.get("Items") or []:
            item = ContentItem.from_raw_data(raw)
            if isinstance(item, ContentItem):
                items.append((str(item.gsi1sk), to_domain(item)))
        return FeedSlice(items, more=bool(page.get("LastEvaluatedKey")))
