"""Shapes every area shares: paging, the PATCH marker, the health answer."""

from __future__ import annotations

from typing import Any

from furusato.api.schema import Int, List, Obj, Str

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

PAGING = {
    "limit": Int(ge=1, le=MAX_LIMIT, default=DEFAULT_LIMIT),
    "cursor": Str(max_length=2048, default=None, free_text=False),
}
PAGING_QUERY = Obj("Paging", PAGING)

NEXT_CURSOR = Str(nullable=True, max_length=2048, description="opaque; null on the last page")


def page_of(name: str, item: Obj) -> Obj:
    return Obj(name, {"items": List(item, max_items=MAX_LIMIT), "next_cursor": NEXT_CURSOR})


HEALTH = Obj("Health", {"status": Str(choices=("ok",))})


class _Unset:
    """A PATCH field the request did not name (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def given(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a PATCH body named."""
    return {k: v for k, v in body.items() if v is not UNSET}
