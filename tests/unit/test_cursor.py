"""One cursor codec serves every paginated list: the lists that keep their own position (the
feed, the participations history, the audit trail's months) pack and unpack it the same way,
and refuse a cursor that is not theirs with the same error."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from furusato.capabilities import checkins, contents
from furusato.domain.errors import InvalidInput
from furusato.store import audit_trail
from furusato.store import cursor as cursors

MONTHS = ["2026-11", "2026-10"]


def test_pack_is_unpadded_url_safe_and_round_trips() -> None:
    position = {"p": "2026-11-01T00:00:00+09:00#cnt_1", "a": "2026-11-01T00:00:00+00:00", "n": ["ü", 1]}
    packed = cursors.pack(position)
    assert "=" not in packed and "+" not in packed and "/" not in packed
    assert cursors.unpack(packed) == position


@pytest.mark.parametrize("garbage", ["!!", "%%%", base64.urlsafe_b64encode(b"\xff\xfe").decode(), "e3"])
def test_unpack_refuses_what_is_not_a_cursor(garbage: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        cursors.unpack(garbage)
    assert refused.value.details == {"cursor": "not a cursor from this list"}


def test_unpack_refuses_a_deeply_nested_cursor_without_overflowing() -> None:
    with pytest.raises(InvalidInput):
        cursors.unpack(base64.urlsafe_b64encode(b"[" * 100_000).decode())


def _history(cursor: str) -> Any:
    return checkins._decode_cursor(cursor)


def _feed(cursor: str) -> Any:
    return contents._decode_cursor(cursor)


def _audit(cursor: str) -> Any:
    return audit_trail._decode(cursor, "212172", MONTHS)


def test_each_list_reads_back_the_position_it_packed() -> None:
    assert (
        _history(checkins._encode_cursor("2026-11-01T00:00:00+00:00#par_1"))
        == "2026-11-01T00:00:00+00:00#par_1"
    )
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    assert _feed(contents._encode_cursor("pos", as_of)) == ("pos", as_of)
    key = {
        "pk": {"S": audit_trail.partition("212172", "2026-10")},
        "sk": {"S": "2026-10-03T00:00:00+09:00#a"},
    }
    assert _audit(audit_trail._encode("2026-10", key)) == ("2026-10", key)
    assert _audit(audit_trail._encode("2026-11", None)) == ("2026-11", None)


@pytest.mark.parametrize("decode", [_history, _feed, _audit])
@pytest.mark.parametrize(
    "position",
    [
        None,
        [],
        "text",
        {"after": 1},
        {"p": "pos", "a": "2026-11-01T00:00:00"},  # a naive instant
        {"p": 1, "a": "2026-11-01T00:00:00+00:00"},
        {"m": "2025-01", "k": None},  # a month outside the period
        {"m": "2026-10", "k": {"pk": {"S": "131041#2026-10"}, "sk": {"S": "x"}}},  # another government
    ],
)
def test_each_list_refuses_a_position_that_is_not_its_own(
    decode: Callable[[str], Any], position: Any
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode(cursors.pack(position))
    assert refused.value.details == {"cursor": "not a cursor from this list"}
