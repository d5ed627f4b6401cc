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


def _measure(
    calls: int, rcu: float, *, finished: bool = True, lower_bound: bool = False
) -> dict[str, object]:
    return {
        "finished": finished,
        "seconds": 0.2 if finished else 60.0,
        "calls": calls,
        "by_operation": {"Query": calls},
        "items": 1,
        "keys": 1,
        "rcu": rcu,
        "rcu_lower_bound": lower_bound,
        "bytes": 1024,
        "status": 200 if finished else None,
    }


def test_the_report_bounds_ratios_against_what_did_not_finish() -> None:
    before = {
        "sized": {
            "get": {"10": _measure(2, 1.0, lower_bound=True), "50000": _measure(9, 4.0, finished=False)}
        }
    }
    after = {"sized": {"get": {"10": _measure(2, 33.5), "50000": _measure(2, 33.5)}}}
    lines = scale.report(before, after, {"participants": [10, 50000], "registrations": [], "governments": []})
    small, large = lines[2], lines[3]
    assert small.endswith("| 1 · - |")  # no ratio of read units against a lower bound
    assert "not finished in 60 s (9 so far: Query 9)" in large
    assert large.endswith("| ≤ 0.222 · - |")
