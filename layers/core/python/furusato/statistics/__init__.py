"""Statistics of the relationship population (rule 23): the views staff and the operator read.

Counters are kept by the stream consumer (`statistics.consumer`) and recomputed by the rebuild
(`python -m furusato.statistics.rebuild`). Reading never touches a registration: one BatchGetItem
of the scope's counter shards (docs/statistics.md).
"""

from __future__ import annotations

from typing import Any

from furusato import clock
from furusato.domain import statistics as rules
from furusato.store import statistics as counters


def _prefixed(totals: dict[str, int], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in sorted(totals.items()) if k.startswith(prefix) and v}


def for_lg(lg_code: str) -> dict[str, Any]:
    now = clock.now()
    as_of = now.date()
    totals, days = counters.read(lg_code, rules.boundary_birth_years(as_of))
    basic, premium = totals.get("plan:basic", 0), totals.get("plan:premium", 0)
    deltas: dict[str, dict[str, int]] = {}
    for name, n in totals.items():
        if name.startswith("h:"):
            _, month, plan = name.split(":")
            deltas.setdefault(month, {})[plan] = n
    return {
        "lg_code": lg_code,
        "as_of": clock.iso(now),
        "relationship_population": {"total": basic + premium, "basic": basic, "premium": premium},
        "own_residence_excluded": totals.get("own_residence", 0),
        "long_term_stayers": totals.get("long_term_stayers", 0),
        "by_age_band": rules.age_bands(as_of, _prefixed(totals, "bm:"), days),
        "by_residence_prefecture": _prefixed(totals, "pref:"),
        "participations_by_month": _prefixed(totals, "part:"),
        "history": rules.history(deltas, as_of.isoformat()[:7]),
    }


def national() -> dict[str, Any]:
    totals, _ = counters.read(counters.NATIONAL)
    basic, premium = totals.get("plan:basic", 0), totals.get("plan:premium", 0)
    return {
        "as_of": clock.iso(clock.now()),
        "people": totals.get("people", 0),
        "registrations": basic + premium,
        "by_plan": {"basic": basic, "premium": premium},
        "governments_onboarded": totals.get("lgs", 0),
    }
