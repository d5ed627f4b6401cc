"""The sweeps' pure rules: business days, catch-up ranges, calendar months, due partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from furusato.clock import JST
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.registration import Participation, Registration
from furusato.domain.sweeps import (
    MAX_CATCH_UP_DAYS,
    add_months,
    business_day,
    days_to_sweep,
    downgraded_notice,
    held_by_municipality,
    lapse_day,
    last_access,
    parse_request,
    prefecture_following,
    refusal_reason,
    seen_days_reaching,
    seen_days_to_query,
    warning_day,
)

# --- the event ----------------------------------------------------------------------------------


def test_the_schedules_payload_parses() -> None:
    request = parse_request({"sweep": "renewal", "scheduled_time": "2027-05-31T18:00:00Z"})
    assert request.sweep == "renewal" and request.resume is False
    assert request.day == date(2027, 6, 1)  # 03:00 JST
    assert request.run_id == "2027-06-01T03:00:00+09:00"
    same = parse_request({"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00+09:00", "resume": True})
    assert same.run_id == request.run_id and same.resume is True
    assert same.payload(resume=True) == {
        "sweep": "renewal",
        "scheduled_time": "2027-06-01T03:00:00+09:00",
        "resume": True,
    }


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"scheduled_time": "2027-06-01T03:00:00+09:00"}, "sweep"),
        ({"sweep": "cleanup", "scheduled_time": "2027-06-01T03:00:00+09:00"}, "sweep"),
        ({"sweep": "renewal"}, "scheduled_time"),
        ({"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00"}, "scheduled_time"),
        ({"sweep": "renewal", "scheduled_time": "tomorrow"}, "scheduled_time"),
        ({"sweep": "renewal", "scheduled_time": 1780000000}, "scheduled_time"),
        ({"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00Z", "resume": 1}, "resume"),
        ({"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00Z", "detail": {}}, "detail"),
    ],
)
def test_a_malformed_event_is_refused(event: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_request(event)
    assert field in error.value.details


def test_a_non_object_event_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_request(["renewal"])


def test_the_business_day_is_the_jst_date() -> None:
    assert business_day(datetime(2027, 6, 1, 14, 59, 59, tzinfo=UTC)) == date(2027, 6, 1)  # 23:59:59 JST
    assert business_day(datetime(2027, 6, 1, 15, 0, tzinfo=UTC)) == date(2027, 6, 2)  # 00:00 JST
    assert business_day(datetime(2027, 6, 2, 0, 0, tzinfo=JST)) == date(2027, 6, 2)


# --- which days a run covers -----------------------------------------------------------------------


def test_the_first_run_covers_its_own_day() -> None:
    assert days_to_sweep(None, date(2027, 6, 1)) == [date(2027, 6, 1)]


def test_the_next_day_and_a_missed_day() -> None:
    assert days_to_sweep(date(2027, 5, 31), date(2027, 6, 1)) == [date(2027, 6, 1)]
    assert days_to_sweep(date(2027, 5, 30), date(2027, 6, 1)) == [date(2027, 5, 31), date(2027, 6, 1)]


def test_the_catch_up_is_capped() -> None:
    days = days_to_sweep(date(2026, 1, 1), date(2027, 6, 1))
    assert len(days) == MAX_CATCH_UP_DAYS
    assert days[-1] == date(2027, 6, 1) and days[0] == date(2027, 6, 1) - timedelta(
        days=MAX_CATCH_UP_DAYS - 1
    )
    assert days == sorted(days)


def test_a_day_already_covered_is_covered_again() -> None:
    assert days_to_sweep(date(2027, 6, 1), date(2027, 6, 1)) == [date(2027, 6, 1)]
    assert days_to_sweep(date(2027, 6, 5), date(2027, 6, 1)) == [date(2027, 6, 1)]


# --- calendar months ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 6, 15), 24, date(2028, 6, 15)),
        (date(2027, 1, 31), -2, date(2026, 11, 30)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 5, 10), 0, date(2027, 5, 10)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_seen_days_at_month_ends() -> None:
    # 28 February 2027 is reached after 1 month by 28-31 January.
    assert seen_days_reaching(date(2027, 2, 28), 1) == [date(2027, 1, d) for d in (28, 29, 30, 31)]
    # In a leap year 28 February is reached by 28 January only; 29 February by 29-31 January.
    assert seen_days_reaching(date(2028, 2, 28), 1) == [date(2028, 1, 28)]
    assert seen_days_reaching(date(2028, 2, 29), 1) == [date(2028, 1, d) for d in (29, 30, 31)]
    # Nobody reaches 1 month on 29-31 March: 28/29 February reached it on 28/29 March.
    assert seen_days_reaching(date(2027, 3, 31), 1) == []
    assert seen_days_reaching(date(2027, 3, 28), 1) == [date(2027, 2, 28)]
    # 24 months: 29 February 2028 lapses on 28 February 2030, with 28 February 2028.
    assert seen_days_reaching(date(2030, 2, 28), 24) == [date(2028, 2, 28), date(2028, 2, 29)]
    assert seen_days_reaching(date(2028, 6, 15), 24) == [date(2026, 6, 15)]


@pytest.mark.parametrize("months", [1, 2, 11, 12, 23, 24, 36, 120])
def test_every_day_reaches_its_mark_on_exactly_one_day(months: int) -> None:
    """The sweep queries, for each day, the SEEN days reaching it: every last-access day is
    queried on exactly one day, so nobody is skipped and nobody is read twice."""
    start = date(2026, 1, 1)
    reached: dict[date, list[date]] = {}
    for i in range(5 * 366):
        day = start + timedelta(days=i)
        for seen in seen_days_reaching(day, months):
            reached.setdefault(seen, []).append(day)
    first_seen = add_months(start, -months) + timedelta(days=3)
    for i in range(3 * 366):
        seen = first_seen + timedelta(days=i)
        assert reached.get(seen) == [add_months(seen, months)], seen


def test_lapse_and_warning_days() -> None:
    assert lapse_day(date(2026, 3, 31), 24) == date(2028, 3, 31)
    assert warning_day(date(2026, 3, 31), 24) == date(2028, 2, 29)
    assert warning_day(date(2026, 3, 31), 1) is None  # no warning for a 1-month period


def test_the_partitions_of_a_day() -> None:
    day = date(2028, 6, 15)
    assert seen_days_to_query(day, [24, 24]) == [date(2026, 6, 15), date(2026, 7, 15)]
    assert seen_days_to_query(day, [12, 24]) == [
        date(2026, 6, 15),
        date(2026, 7, 15),
        date(2027, 6, 15),
        date(2027, 7, 15),
    ]
    assert seen_days_to_query(day, [1]) == [date(2028, 5, 15)]
    assert seen_days_to_query(day, []) == []


def test_last_access_counts_check_ins() -> None:
    later = Participation("a1", "212172", True, date(2026, 9, 1))
    earlier = Participation("a0", "212172", False, date(2026, 5, 1))
    assert last_access("2026-06-15", [earlier]) == date(2026, 6, 15)
    assert last_access("2026-06-15", [earlier, later]) == date(2026, 9, 1)
    assert last_access(None, [earlier]) == date(2026, 5, 1)
    assert last_access(None, []) is None


def _reg(lg_code: str, *, auto: bool = False, status: str = "active", plan: str = "basic") -> Registration:
    return Registration(f"r-{lg_code}", lg_code, plan, status, False, auto, "2026-04-01T00:00:00+09:00")  # type: ignore[arg-type]


def test_an_automatic_prefecture_registration_lives_with_its_municipalities() -> None:
    gifu = _reg("210005", auto=True)
    assert held_by_municipality(gifu, [gifu, _reg("212172")])
    assert not held_by_municipality(gifu, [gifu, _reg("212172", status="lapsed")])
    assert not held_by_municipality(gifu, [gifu, _reg("131041")])  # 新宿区 is not in 岐阜県
    assert not held_by_municipality(_reg("210005"), [_reg("210005"), _reg("212172")])  # direct
    assert not held_by_municipality(_reg("212172"), [_reg("212172")])


# --- what the person is told ------------------------------------------------------------------------


def test_a_refusal_says_what_was_counted() -> None:
    refusal = Conflict(
        "3 designated activities are required in the window; 2 counted",
        code="NOT_ENOUGH_ACTIVITIES",
        details={"required": 3, "counted": 2, "window": {"start": "2026-07-01", "end": "2027-06-30"}},
    )
    assert refusal_reason(refusal) == (
        "not enough designated activities: required 3, counted 2 in 2026-07-01..2027-06-30"
    )
    notice = downgraded_notice("飛騨市", date(2027, 6, 30), refusal)
    assert "飛騨市" in notice.title
    assert (
        "必要 3 件" in notice.body and "実績 2 件" in notice.body and "2026-07-01..2027-06-30" in notice.body
    )
    other = Conflict("premium needs a verified identity (My Number Card)", code="IDENTITY_NOT_VERIFIED")
    assert refusal_reason(other) == other.message
    assert "本人確認" in downgraded_notice("飛騨市", date(2027, 6, 30), other).body


@pytest.mark.parametrize(
    ("others", "follows"),
    [
        ([], True),
        ([_reg("212032")], True),  # another basic municipality lapses for the same lack of access
        ([_reg("212032", plan="premium")], False),  # a premium one never lapses: it keeps 岐阜県
        ([_reg("212032", plan="premium", status="withdrawn")], True),
    ],
)
def test_a_lapse_warning_names_the_prefecture_that_would_follow(
    others: list[Registration], follows: bool
) -> None:
    hida, gifu = _reg("212172"), _reg("210005", auto=True)
    assert prefecture_following(hida, [hida, gifu, *others]) == ("210005" if follows else None)


def test_a_direct_prefecture_registration_is_never_named() -> None:
    hida, gifu = _reg("212172"), _reg("210005", auto=False)
    assert prefecture_following(hida, [hida, gifu]) is None
    assert prefecture_following(gifu, [hida, gifu]) is None
