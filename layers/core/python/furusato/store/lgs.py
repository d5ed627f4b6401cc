"""Local governments in the main table.

Access patterns:
- one government: GetItem pk=LG#{lg_code}, sk=LG
- several governments: BatchGetItem of those keys
- the directory: Query gsi1 gsi1pk=LGS, gsi1sk begins_with {prefecture_code}#, over the
  listing items (pk=LG#{lg_code}, sk=LISTING: name, kind, prefecture, onboarding instant and
  the inactivity period; ~200 bytes with the longest real names, written in the same
  transaction as the government's item), never the items carrying pages (up to ~60 KB each):
  a page of 200 reads ~40 KB
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato.domain.errors import Conflict, NotFound
from furusato.domain.lg import Listing, LocalGovernment, Page, PremiumSettings, Section
from furusato.domain.survey import CHOICE_TYPES, Question
from furusato.store import cursor as cursors
from furusato.store.errors import find, is_condition_failure, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import LgItem, LgListingItem, MainItem

DIRECTORY = "LGS"


def key(lg_code: str) -> tuple[str, str]:
    return lg_pk(lg_code), "LG"


LISTING_SK = "LISTING"


def _question(raw: dict[str, Any]) -> Question:
    return Question(
        id=raw["id"],
        label=raw["label"],
        type=raw["type"],
        required=bool(raw["required"]),
        options=tuple(raw.get("options") or ()),
        source="own",
    )


def _question_item(q: Question) -> dict[str, Any]:
    """An own question as kept (its source is always `own`); only choices have options."""
    item: dict[str, Any] = {"id": q.id, "label": q.label, "type": q.type, "required": q.required}
    if q.type in CHOICE_TYPES:
        item["options"] = list(q.options)
    return item


def _page(raw: dict[str, Any] | None) -> Page:
    raw = raw or {}
    return Page(
        title=raw.get("title", ""),
        body=raw.get("body", ""),
        updated_at=raw.get("updated_at"),
        sections=tuple(Section(**s) for s in raw.get("sections") or ()),
    )


def _page_item(page: Page) -> dict[str, Any]:
    return {
        "title": page.title,
        "body": page.body,
        "updated_at": page.updated_at,
        "sections": [asdict(s) for s in page.sections],
    }


def to_domain(item: LgItem) -> LocalGovernment:
    return LocalGovernment(
        lg_code=item.lg_code,
        name=item.name,
        kind=item.kind,  # type: ignore[arg-type]
        prefecture_code=item.prefecture_code,
        settings=PremiumSettings(**(item.settings or {})),
        page=_page(item.page),
        own_questions=tuple(_question(q) for q in item.own_questions or ()),
        onboarded_at=item.onboarded_at,
    )


def to_listing(item: LgListingItem) -> Listing:
    return Listing(
        lg_code=item.lg_code,
        name=item.name,
        kind=item.kind,  # type: ignore[arg-type]
        prefecture_code=item.prefecture_code,
        onboarded_at=item.onboarded_at,
        inactivity_months=int(item.inactivity_months),
    )


def get(lg_code: str) -> LocalGovernment | None:
    pk, sk = key(lg_code)
    item = find(LgItem, pk, sk, consistent_read=False)
    return to_domain(item) if item else None


def require(lg_code: str) -> LocalGovernment:
    lg = get(lg_code)
    if lg is None:
        raise NotFound("local government not found")
    return lg


def batch_get(lg_codes: Iterable[str]) -> dict[str, LocalGovernment]:
    """One BatchGetItem for up to 100 governments (a person holds far fewer)."""
    keys = sorted({key(code) for code in lg_codes})
    if not keys:
        return {}
    with storage_errors():
        return {item.lg_code: to_domain(item) for item in LgItem.batch_get(keys)}


def onboard(lg: LocalGovernment) -> None:
    pk, sk = key(lg.lg_code)
    item = LgItem(
        pk,
        sk,
        lg_code=lg.lg_code,
        name=lg.name,
        kind=lg.kind,
        prefecture_code=lg.prefecture_code,
        settings=asdict(lg.settings),
        page={"title": lg.page.title, "body": lg.page.body, "updated_at": lg.page.updated_at},
        own_questions=[],
        onboarded_at=lg.onboarded_at,
    )
    listing = LgListingItem(
        pk,
        LISTING_SK,
        gsi1pk=DIRECTORY,
        gsi1sk=f"{lg.prefecture_code}#{lg.lg_code}",
        lg_code=lg.lg_code,
        name=lg.name,
        kind=lg.kind,
        prefecture_code=lg.prefecture_code,
        onboarded_at=lg.onboarded_at,
        inactivity_months=lg.settings.inactivity_months,
    )
    with storage_errors():
        try:
            with TransactWrite(connection=MainItem._get_connection().connection) as tx:
                tx.save(item, condition=LgItem.pk.does_not_exist())
                tx.save(listing, condition=LgListingItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise Conflict("already onboarded", code="ALREADY_ONBOARDED") from exc
            raise
    forget_directory_copy()


def list_directory(
    *, prefecture_code: str | None, kind: str | None, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Listing], str | None]:
    """A page of the directory from the listing items (without pages, surveys or settings)."""
    by_prefecture = LgListingItem.gsi1sk.startswith(f"{prefecture_code}#") if prefecture_code else None
    filters: list[Any] = []
    if kind:
        filters.append(LgListingItem.kind == kind)
    if q:
        filters.append(LgListingItem.name.contains(q))
    found, next_cursor = cursors.page(
        LgListingItem.gsi1.query,
        ("gsi1pk", DIRECTORY),
        cursor=cursor,
        limit=limit,
        range_key_condition=by_prefecture,
        filter_condition=cursors.all_of(filters),
    )
    return [to_listing(item) for item in found if isinstance(item, LgListingItem)], next_cursor


# How stale the public directory may be in each function instance (and again in a client or a
# cache of its choosing, through Cache-Control: docs/capacity.md): onboarding is an operator's
# action, a few a day. A write of a listing drops the copy of the instance that made it.
DIRECTORY_CACHE_S = 60.0
_CACHE_MAX = 512
_cache: dict[tuple[Any, ...], tuple[float, tuple[list[Listing], str | None]]] = {}
_cache_lock = threading.Lock()


def list_directory_cached(**query: Any) -> tuple[list[Listing], str | None]:
    """`list_directory` served from this function instance's copy for up to DIRECTORY_CACHE_S."""
    wanted = tuple(sorted(query.items()))
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(wanted)
    if hit is not None and now - hit[0] < DIRECTORY_CACHE_S:
        return hit[1]
    found = list_directory(**query)
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[wanted] = (now, found)
    return found


def forget_directory_copy() -> None:
    with _cache_lock:
        _cache.clear()


def _update(lg_code: str, actions: list[Any]) -> None:
    pk, sk = key(lg_code)
    with storage_errors():
        try:
            LgItem(pk, sk).update(actions=actions, condition=LgItem.pk.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFound("local government not found") from exc
            raise


def save_settings(lg_code: str, settings: PremiumSettings) -> None:
    """The government's item and its listing (whose inactivity period the sweep reads), together."""
    pk, sk = key(lg_code)
    with storage_errors():
        try:
            with TransactWrite(connection=MainItem._get_connection().connection) as tx:
                tx.update(
                    LgItem(pk, sk),
                    actions=[LgItem.settings.set(asdict(settings))],
                    condition=LgItem.pk.exists(),
                )
                tx.update(
                    LgListingItem(pk, LISTING_SK),
                    actions=[LgListingItem.inactivity_months.set(settings.inactivity_months)],
                    condition=LgListingItem.pk.exists(),
                )
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise NotFound("local government not found") from exc
            raise
    forget_directory_copy()


def save_page(lg_code: str, page: Page) -> None:
    _update(lg_code, [LgItem.page.set(_page_item(page))])


def save_own_questions(lg_code: str, questions: tuple[Question, ...]) -> None:
    raw = [_question_item(q) for q in questions]
    _update(lg_code, [LgItem.own_questions.set(raw)])
