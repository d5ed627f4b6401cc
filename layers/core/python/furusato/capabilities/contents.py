"""Content and the registrant's feed (rule 20): the use cases behind /contents and /v1/me/feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from furusato import clock
from furusato.domain.content import (
    Content,
    Reader,
    Target,
    check_times,
    parse_target,
    published_at,
    reader_of,
    targets,
)
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.markdown import render
from furusato.domain.profile import contains_individual_number
from furusato.domain.registration import LIVE_STATUSES
from furusato.store import contents, lgs, people
from furusato.store import cursor as cursors
from furusato.store.ids import new_id
from furusato.views.content import feed_view, staff_view


def _check_text(title: str, body: str) -> None:
    bad = {
        name: "must not contain an individual number"
        for name, value in (("title", title), ("body", body))
        if contains_individual_number(value)
    }
    if bad:
        raise InvalidInput("an individual number is never accepted", details=bad)


def create(lg_code: str, actor_sub: str, body: dict[str, Any]) -> dict[str, Any]:
    lg = lgs.require(lg_code)
    now = clock.now()
    title = body["title"].strip()
    _check_text(title, body["body"])
    target = parse_target(body.get("target"), lg.survey)
    check_times(body["kind"], body.get("publish_at"), body.get("expires_at"), now)
    draft = bool(body.get("draft"))
    stamp = now.isoformat()
    content = Content(
        content_id=new_id("cnt"),
        lg_code=lg_code,
        lg_name=lg.name,
        kind=body["kind"],
        title=title,
        body=body["body"],
        body_html=render(body["body"]),
        target=target,
        publish_at=body.get("publish_at"),
        published_at=published_at(draft, body.get("publish_at"), now),
        expires_at=body.get("expires_at"),
        draft=draft,
        created_at=stamp,
        updated_at=stamp,
    )
    contents.create(content, by=actor_sub)
    return staff_view(content, now)


def get(lg_code: str, content_id: str) -> dict[str, Any]:
    return staff_view(contents.get(lg_code, content_id).content, clock.now())


def list_contents(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = contents.list_for_staff(lg_code, limit=limit, cursor=cursor)
    now = clock.now()
    return [staff_view(c, now) for c in items], next_cursor


def update(lg_code: str, content_id: str, actor_sub: str, changes: dict[str, Any]) -> dict[str, Any]:
    stored = contents.get(lg_code, content_id)
    before = stored.content
    now = clock.now()
    went_out = not before.draft and before.published_at is not None and before.published_at <= now
    if went_out and "publish_at" in changes:
        raise Conflict(
            "published content keeps its publication date",
            code="ALREADY_PUBLISHED",
            details={"publish_at": "cannot change once published"},
        )
    kind = changes.get("kind", before.kind)
    title = changes["title"].strip() if "title" in changes else before.title
    text = changes.get("body", before.body)
    _check_text(title, text)
    target = before.target
    if "target" in changes:
        target = (
            parse_target(changes["target"], lgs.require(lg_code).survey) if changes["target"] else Target()
        )
    draft = changes.get("draft", before.draft)
    publish_at = changes.get("publish_at", before.publish_at)
    expires_at = changes.get("expires_at", before.expires_at)
    check_times(kind, publish_at if not went_out else None, expires_at, now)
    # Published content keeps its place in the feed; otherwise the date follows the change.
    when = before.published_at if went_out and not draft else published_at(draft, publish_at, now)
    after = replace(
        before,
        kind=kind,
        title=title,
        body=text,
        body_html=render(text) if text != before.body else before.body_html,
        target=target,
        publish_at=publish_at,
        published_at=when,
        expires_at=expires_at,
        draft=draft,
        updated_at=now.isoformat(),
    )
    contents.replace(stored, after, by=actor_sub)
    return staff_view(after, now)


def delete(lg_code: str, content_id: str) -> None:
    contents.delete(lg_code, content_id)


# --- the feed ------------------------------------------------------------------------------


def _encode_cursor(position: str, as_of: datetime) -> str:
    return cursors.pack({"p": position, "a": as_of.isoformat()})


def _decode_cursor(cursor: str) -> tuple[str, datetime]:
    raw = cursors.unpack(cursor)
    try:
        position, as_of = raw["p"], datetime.fromisoformat(raw["a"])
    except (ValueError, TypeError, KeyError) as exc:
        raise cursors.invalid() from exc
    if not isinstance(position, str) or as_of.tzinfo is None:
        raise cursors.invalid()
    return position, as_of


def readers(record: people.PersonRecord) -> dict[str, Reader]:
    """The governments whose content the person reads, with what targeting looks at: live
    registrations only (a withdrawn or lapsed one drops its government)."""
    residence = record.profile.residence_lg_code if record.profile else None
    return {
        code: reader_of(reg.plan, reg.status, reg.survey_answers, residence)
        for code, reg in record.registrations.items()
        if reg.status in LIVE_STATUSES
    }


# The governments' Queries are independent: run together, a page waits about one round trip,
# not one per government. botocore clients are thread-safe; the count of requests is unchanged.
MAX_PARALLEL_QUERIES = 8


def _read_slices(codes: list[str], *, below: str, limit: int) -> list[contents.FeedSlice]:
    if len(codes) <= 1:
        return [contents.feed_slice(code, below=below, limit=limit) for code in codes]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_QUERIES, len(codes))) as pool:
        return list(pool.map(lambda code: contents.feed_slice(code, below=below, limit=limit), codes))


def feed(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first across the person's governments: one Query of the person, then one Query per
    government below the cursor's position.

    The cursor holds the position (feed key of the last item given) and the instant the first
    page was read; every page takes what was published by that instant, so content published or
    scheduled to appear later sorts above the pages already read and each item is given exactly
    once. Expiry is judged now: content that expires between pages is left out of later ones."""
    record = people.load(sub)
    now = clock.now()
    # No last_seen write here: the app records the day's access with GET /v1/me and the card, and
    # a feed page stays within 1 + (number of governments) round trips.
    if cursor:
        position, as_of = _decode_cursor(cursor)
        # A cursor is the client's to keep: one claiming a later instant never shows scheduled
        # content early.
        as_of = min(as_of, now)
        position = min(position, contents.instant_key(as_of) + "~")
    else:
        as_of = now
        position = contents.instant_key(as_of) + "~"  # '~' sorts after every "#{content_id}"
    candidates: list[tuple[str, Content]] = []
    # Above the frontier every government's items are known; below it, some are not yet read.
    frontier: str | None = None
    governments = sorted(readers(record).items())
    slices = _read_slices([code for code, _ in governments], below=position, limit=limit)
    for (_, reader), found in zip(governments, slices, strict=True):
        if found.more and found.items:
            last = found.items[-1][0]
            frontier = last if frontier is None else max(frontier, last)
        candidates += [
            (key, content)
            for key, content in found.items
            if content.visible(now) and targets(content.target, reader)
        ]
    known = sorted(
        (c for c in candidates if frontier is None or c[0] >= frontier), key=lambda c: c[0], reverse=True
    )
    page = known[:limit]
    if len(page) == limit:
        next_position: str | None = page[-1][0]
    else:
        next_position = frontier
    # The frontier item itself was read and judged: the next page starts strictly below it.
    next_cursor = _encode_cursor(next_position, as_of) if next_position else None
    return [feed_view(content) for _, content in page], next_cursor
