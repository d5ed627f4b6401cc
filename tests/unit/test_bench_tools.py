"""The benchmarks' own arithmetic and arguments: what `docs/benchmarks.md` figures rest on."""

from __future__ import annotations

import pytest

from bench import scale
from bench.__main__ import groups
from tests.support import roundtrips


def test_each_benchmark_gets_the_options_after_its_name() -> None:
    argv = ["scale", "--sizes", "10", "--jobs", "2", "exports", "--modes", "writer", "feed"]
    assert groups(argv) == [
        ("scale", ["--sizes", "10", "--jobs", "2"]),
        ("exports", ["--modes", "writer"]),
        ("feed", []),
    ]
    assert groups([]) == []


def test_an_option_before_any_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit, match="--sizes"):
        groups(["--sizes", "10", "scale"])


def _string(n: int) -> dict[str, str]:
    return {"S": "x" * n}


def test_read_units_count_every_key_asked_found_or_not() -> None:
    key = {"pk": {"S": "A"}, "sk": {"S": "1"}}
    big = {"pk": {"S": "A"}, "sk": {"S": "2"}, "body": _string(5_000)}
    params = {
        "RequestItems": {
            "t": {"Keys": [key, {"pk": {"S": "A"}, "sk": {"S": "2"}}, {"pk": {"S": "B"}, "sk": {"S": "3"}}]}
        }
    }
    response = {"Responses": {"t": [key, big]}}
    cost = scale.read_cost(roundtrips, "BatchGetItem", params, response)
    # Eventually consistent: half a unit per 4 KB, at least half a unit per key (the missing one too).
    assert cost == {"keys": 3, "rcu": 0.5 + 1.0 + 0.5, "estimated": False}


def test_a_consistent_get_costs_a_unit_per_4_kb() -> None:
    item = {"pk": {"S": "A"}, "sk": {"S": "1"}, "body": _string(9_000)}
    cost = scale.read_cost(roundtrips, "GetItem", {"ConsistentRead": True}, {"Item": item})
    assert cost == {"keys": 1, "rcu": 3.0, "estimated": False}


def test_a_query_sums_its_items_and_flags_what_it_did_not_return() -> None:
    items = [{"pk": {"S": "A"}, "sk": {"S": str(n)}, "body": _string(1_000)} for n in range(5)]
    assert scale.read_cost(roundtrips, "Query", {}, {"Items": items, "ScannedCount": 5}) == {
        "keys": 5,
        "rcu": 1.0,  # ~5 KB together: two units, halved
        "estimated": False,
    }
    counted = scale.read_cost(roundtrips, "Query", {"Select": "COUNT"}, {"Count": 900, "ScannedCount": 900})
    assert counted["keys"] == 900 and counted["estimated"]
