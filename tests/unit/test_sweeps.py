"""The sweeps' pure rules: business days, calendar months, the inactivity due day, messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from furusato.clock import JST
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.registration import Participation, Registration
from furusato.domain.sweeps import (
    add_months,
    business_day,
    downgraded_notice,
    held_by_municipality,
    inactivity_due,
    lapse_day,
    last_access,
    parse_request,
    prefecture_following,
    refusal_reason,
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


def test_lapse_and_warning_days() -> None:
    assert lapse_day(date(2026, 3, 31), 24) == date(2028, 3, 31)
    assert warning_day(date(2026, 3, 31), 24) == date(2028, 2, 29)
    assert warning_day(date(2026, 3, 31), 1) is None  # no warning for a 1-month period


def _basic(lg_code: str, months: int | None, **changes: object) -> Registration:
    reg = Registration("r-" + lg_code, lg_code, "basic", "active", False, False, "2026-04-01T10:00:00+09:00")
    return replace(reg, inactivity_months=months, **changes)  # type: ignore[arg-type]


def test_the_inactivity_due_day() -> None:
    seen = date(2026, 3, 31)
    # The warning day until the warning for this lapse day is sent, then the lapse day.
    assert inactivity_due([_basic("212172", 24)], seen) == date(2028, 2, 29)
    warned = _basic("212172", 24, notice_sent_for="2028-03-31")
    assert inactivity_due([warned], seen) == date(2028, 3, 31)
    # A warning for an older lapse day (the person came back since) does not count.
    old = _basic("212172", 24, notice_sent_for="2027-01-01")
    assert inactivity_due([old], seen) == date(2028, 2, 29)
    # The earliest of the person's registrations; a 1-month period has no warning.
    assert inactivity_due([_basic("212172", 24), _basic("212032", 1)], seen) == date(2026, 4, 30)
    # A registration written before it held its period: the default (24 months).
    assert inactivity_due([_basic("212172", None)], seen) == date(2028, 2, 29)


def test_nothing_inactivity_due() -> None:
    seen = date(2026, 3, 31)
    premium = replace(_basic("212172", 24), plan="premium")
    lapsed = replace(_basic("212032", 24), status="lapsed")
    assert inactivity_due([premium, lapsed], seen) is None
    assert inactivity_due([_basic("212172", 24)], None) is None
    # An automatic prefecture registration ends with its municipalities: no day of its own.
    held = replace(_basic("210005", 1), auto_created=True)
    assert inactivity_due([premium, held], seen) is None


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
