"""Age bands from anonymous counters equal each person's own band; history telescopes."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from furusato.domain import statistics as rules

births = st.lists(st.dates(min_value=date(1930, 1, 1), max_value=date(2026, 12, 31)), max_size=40)
days = st.dates(min_value=date(2026, 4, 1), max_value=date(2040, 12, 31))


@settings(max_examples=300)
@given(births, days)
def test_age_bands_from_counters_equal_each_persons_band(people: list[date], as_of: date) -> None:
    people = [b for b in people if b <= as_of]
    by_month = Counter(b.isoformat()[:7] for b in people)
    boundary = set(rules.boundary_birth_years(as_of))
    # Only what the store reads: per-day counts of the boundary birth years.
    by_day = Counter(b.isoformat() for b in people if b.year in boundary)
    expected = Counter(rules.band_of(rules.age_on(b, as_of)) for b in people)
    bands = rules.age_bands(as_of, by_month, by_day)
    assert bands == {name: expected.get(name, 0) for name, _ in rules.AGE_BANDS}


def test_an_18th_birthday_changes_the_band_on_the_day() -> None:
    by_month, by_day = {"2008-06": 1}, {"2008-06-16": 1}
    assert rules.age_bands(date(2026, 6, 15), by_month, by_day)["0-17"] == 1
    assert rules.age_bands(date(2026, 6, 16), by_month, by_day)["18-29"] == 1


def test_feb_29_births_turn_a_year_older_on_march_1st_of_common_years() -> None:
    by_month, by_day = {"2008-02": 1}, {"2008-02-29": 1}
    assert rules.age_bands(date(2026, 2, 28), by_month, by_day)["0-17"] == 1
    assert rules.age_bands(date(2026, 3, 1), by_month, by_day)["18-29"] == 1


def test_contributions_count_active_registrations_and_own_residence_apart() -> None:
    regs = [
        rules.RegistrationFacts("212172", "premium", "active", False, True),
        rules.RegistrationFacts("131041", "basic", "active", True, False),
        rules.RegistrationFacts("210005", "basic", "lapsed", False, False),
        rules.RegistrationFacts("322016", "basic", "withdrawn", False, False),
        rules.RegistrationFacts("212032", "basic", "pending_review", False, False),
    ]
    mine = rules.contributions("1990-04-01", "131041", regs)
    assert set(mine) == {"212172", "131041"}
    assert rules.change(None, mine["212172"]) == {
        "plan:premium": 1,
        "long_term_stayers": 1,
        "bm:1990-04": 1,
        "pref:13": 1,
    }
    assert rules.change(None, mine["131041"]) == {"own_residence": 1}
    assert rules.day_change(None, mine["131041"]) == {}
    # Basic -> premium moves one count between plans and nothing else.
    basic = rules.Contribution("basic", False, False, "1990-04-01", "13")
    upgraded = rules.change(basic, mine["212172"])
    assert upgraded == {"plan:basic": -1, "plan:premium": 1, "long_term_stayers": 1}


def test_history_runs_to_the_current_month_and_carries_quiet_months() -> None:
    deltas = {"2026-04": {"basic": 2}, "2026-06": {"basic": -1, "premium": 1}}
    assert rules.history(deltas, "2026-07") == [
        {"month": "2026-04", "total": 2, "basic": 2, "premium": 0},
        {"month": "2026-05", "total": 2, "basic": 2, "premium": 0},
        {"month": "2026-06", "total": 2, "basic": 1, "premium": 1},
        {"month": "2026-07", "total": 2, "basic": 1, "premium": 1},
    ]
    assert rules.history({}, "2026-07") == []


def _change(model: type[Any], name: str | None) -> Any:
    """A MODIFY of a profile or registration in which only `name` differs (None: nothing)."""
    from furusato.streams import Change

    old = {a.attr_name: f"old-{a.attr_name}" for a in model.get_attributes().values()}
    old["type"] = model._discriminator
    new = dict(old)
    if name is not None:
        new[name] = f"new-{name}"
    return Change("e1", "MODIFY", "1", {"pk": "P#a", "sk": "x"}, old, new)


def test_a_change_recounts_exactly_when_an_attribute_the_statistics_read_changed() -> None:
    from furusato.statistics.consumer import moves_counters
    from furusato.store import statistics as store
    from furusato.store.models import PersonItem, RegistrationItem

    assert {"birth_date", "residence_lg_code", "plan", "status", "own_residence"} <= store.FACTS
    for model in (PersonItem, RegistrationItem):
        assert not moves_counters(_change(model, None))
        for name in (a.attr_name for a in model.get_attributes().values()):
            assert moves_counters(_change(model, name)) == (name in store.FACTS), name
    # The daily last-seen write: the day and the inactivity due key.
    for name in ("last_seen", "gsi2pk", "gsi2sk", "updated_at"):
        assert not moves_counters(_change(PersonItem, name))
    insert = _change(PersonItem, None)
    assert moves_counters(type(insert)("e2", "INSERT", "2", insert.keys, None, insert.new))
    assert moves_counters(type(insert)("e3", "REMOVE", "3", insert.keys, insert.old, None))
