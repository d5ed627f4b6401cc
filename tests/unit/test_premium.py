"""Premium judgement at its edges (rules 7, 10-16)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from furusato.domain.errors import Conflict
from furusato.domain.lg import LocalGovernment, PremiumSettings
from furusato.domain.premium import age_on, is_minor, judge, one_year_after, premium_slots
from furusato.domain.registration import Participation

HIDA, GIFU, TAKAYAMA, SHINJUKU, TOKYO, MATSUE, SHIMANE = (
    "212172",
    "210005",
    "212032",
    "131041",
    "130001",
    "322016",
    "320005",
)


def lg(code: str, **settings: object) -> LocalGovernment:
    kind = "prefecture" if code[2:5] == "000" else "municipality"
    return LocalGovernment(code, "x", kind, code[:2], PremiumSettings(**settings))  # type: ignore[arg-type]


def parts(lg_code: str, days: list[date], designated: bool = True) -> list[Participation]:
    return [Participation(f"{lg_code}-a{i}", lg_code, designated, d) for i, d in enumerate(days)]


def run(government: LocalGovernment, participations: list[Participation], today: date, **kw: object):
    args: dict[str, object] = {
        "lg": government,
        "identity_verified": True,
        "residence_lg_code": SHINJUKU,
        "participations": participations,
        "other_premium_lg_codes": [],
        "today": today,
    }
    args.update(kw)
    return judge(**args)  # type: ignore[arg-type]


def refused(code: str, *args: object, **kw: object) -> Conflict:
    with pytest.raises(Conflict) as err:
        run(*args, **kw)  # type: ignore[arg-type]
    assert err.value.code == code
    return err.value


TODAY = date(2027, 6, 30)


def test_three_designated_activities_make_premium_for_a_year() -> None:
    result = run(lg(HIDA), parts(HIDA, [date(2027, 5, 1)] * 3), TODAY)
    assert result.status == "active" and result.valid_until == date(2028, 6, 30)
    assert result.counted.activities == 3


def test_two_activities_are_refused_with_the_figures() -> None:
    err = refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), parts(HIDA, [date(2027, 5, 1)] * 2), TODAY)
    assert err.details == {
        "required": 3,
        "counted": 2,
        "window": {"start": "2026-07-01", "end": "2027-06-30"},
    }


def test_a_government_may_require_more() -> None:
    refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA, min_activities=4), parts(HIDA, [date(2027, 5, 1)] * 3), TODAY)


def test_undesignated_activities_do_not_count() -> None:
    participations = parts(HIDA, [date(2027, 5, 1)] * 2) + parts(TAKAYAMA, [date(2027, 5, 2)])
    participations += [Participation("x", HIDA, False, date(2027, 5, 3))]
    refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), participations, TODAY)


@pytest.mark.parametrize(("offset", "counts"), [(364, True), (365, False)])
def test_rolling_window_edge(offset: int, counts: bool) -> None:
    edge = TODAY - timedelta(days=offset)
    participations = [*parts(HIDA, [date(2027, 5, 1)] * 2), Participation("edge", HIDA, True, edge)]
    if counts:
        assert run(lg(HIDA), participations, TODAY).counted.activities == 3
    else:
        refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), participations, TODAY)


def test_activity_after_today_is_not_counted() -> None:
    later = Participation("later", HIDA, True, TODAY + timedelta(1))
    participations = [*parts(HIDA, [date(2027, 5, 1)] * 2), later]
    refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), participations, TODAY)


# --- the fiscal-year rule (rule 10): last complete fiscal year OR current one up to the day -----

FISCAL_DAYS = {
    # day of judgement -> (three days in the last complete fiscal year, three in the current one)
    "31 March": (
        date(2028, 3, 31),
        [date(2026, 4, 1), date(2026, 9, 1), date(2027, 3, 31)],
        [date(2027, 4, 1), date(2027, 12, 1), date(2028, 3, 31)],
    ),
    "1 April": (
        date(2028, 4, 1),
        [date(2027, 4, 1), date(2027, 9, 1), date(2028, 3, 31)],
        [date(2028, 4, 1)] * 3,
    ),
    "mid-year": (
        date(2028, 10, 15),
        [date(2027, 4, 1), date(2027, 9, 1), date(2028, 3, 31)],
        [date(2028, 4, 1), date(2028, 7, 1), date(2028, 10, 15)],
    ),
}


@pytest.mark.parametrize("renewal", [False, True], ids=["application", "renewal"])
@pytest.mark.parametrize("held", ["last year", "current year", "both", "neither"])
@pytest.mark.parametrize("when", list(FISCAL_DAYS))
def test_fiscal_year_truth_table(renewal: bool, held: str, when: str) -> None:
    day, last, current = FISCAL_DAYS[when]
    days = {
        "last year": last,
        "current year": current,
        "both": last + current,
        "neither": last[:2] + current[:2],  # four in all, but no fiscal year holds three
    }[held]
    government = lg(HIDA, window="fiscal_year")
    if held == "neither":
        err = refused("NOT_ENOUGH_ACTIVITIES", government, parts(HIDA, days), day, renewal=renewal)
        assert err.details["counted"] == 2
        assert date.fromisoformat(err.details["window"]["end"]) <= day  # never a window in the future
    else:
        result = run(government, parts(HIDA, days), day, renewal=renewal)
        assert result.status == "active" and result.counted.activities == 3
        assert result.counted.window_end <= day


def test_a_fiscal_year_renewal_counts_the_last_complete_year() -> None:
    """Premium on 2027-05-10, renewed on 2028-05-10: the fiscal year 2027 holds six activities."""
    days = [
        date(2027, 4, 20),
        date(2027, 5, 1),
        date(2027, 5, 9),
        date(2027, 9, 1),
        date(2027, 11, 1),
        date(2028, 2, 1),
    ]
    result = run(lg(HIDA, window="fiscal_year"), parts(HIDA, days), date(2028, 5, 10), renewal=True)
    assert result.status == "active" and result.counted.activities == 6
    assert (result.counted.window_start, result.counted.window_end) == (date(2027, 4, 1), date(2028, 3, 31))


def test_an_application_on_1_april_counts_the_fiscal_year_that_just_ended() -> None:
    days = [date(2027, 3, 29), date(2027, 3, 30), date(2027, 3, 31)]
    result = run(lg(HIDA, window="fiscal_year"), parts(HIDA, days), date(2027, 4, 1))
    assert result.status == "active" and result.counted.activities == 3


def test_fiscal_year_stay_days_follow_the_same_rule() -> None:
    stays = [date(2027, 4, 1) + timedelta(days=i) for i in range(10)]
    result = run(
        lg(HIDA, window="fiscal_year"), parts(HIDA, [date(2028, 4, 1)] * 3), date(2028, 4, 1), stay_days=stays
    )
    assert result.long_term_stayer


# --- the rolling renewal window: (valid_until - 1 year, valid_until] ----------------------------


def test_a_renewal_counts_the_day_after_the_grant() -> None:
    """Granted 2027-06-01 (judged up to that day), renewed 2028-06-01: 2027-06-02 counts."""
    days = [date(2027, 6, 2), date(2027, 8, 1), date(2028, 6, 1)]
    result = run(lg(HIDA), parts(HIDA, days), date(2028, 6, 1), renewal=True)
    assert (result.counted.window_start, result.counted.activities) == (date(2027, 6, 2), 3)
    refused(
        "NOT_ENOUGH_ACTIVITIES",
        lg(HIDA),
        parts(HIDA, [date(2027, 6, 1), *days[1:]]),
        date(2028, 6, 1),
        renewal=True,
    )


@pytest.mark.parametrize(
    ("until", "first_day", "length"),
    [
        (date(2028, 3, 1), date(2027, 3, 2), 366),  # across 29 February 2028
        (date(2028, 2, 29), date(2027, 3, 1), 366),
        (date(2028, 2, 28), date(2027, 3, 1), 365),
        (date(2029, 2, 28), date(2028, 2, 29), 366),  # a grant on 29 Feb 2028 runs to 28 Feb 2029
        (date(2029, 3, 1), date(2028, 3, 2), 365),
    ],
)
def test_the_renewal_window_around_29_february(until: date, first_day: date, length: int) -> None:
    days = [first_day, until - timedelta(days=100), until]
    result = run(lg(HIDA), parts(HIDA, days), until, renewal=True)
    assert (result.counted.window_start, result.counted.window_end) == (first_day, until)
    assert (until - first_day).days + 1 == length
    earlier = [first_day - timedelta(days=1), *days[1:]]
    refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), parts(HIDA, earlier), until, renewal=True)


def test_consecutive_judgements_leave_no_day_out() -> None:
    """From a grant on 29 February 2028, year after year: every day is in some judgement window."""
    grant = date(2028, 2, 29)
    covered_to = grant
    until = one_year_after(grant)
    for _ in range(5):
        window = run(lg(HIDA), parts(HIDA, [until] * 3), until, renewal=True).counted
        assert window.window_start <= covered_to + timedelta(days=1)
        covered_to, until = until, one_year_after(until)


def test_records_before_april_2026_never_count() -> None:
    participations = parts(HIDA, [date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 2)])
    refused("NOT_ENOUGH_ACTIVITIES", lg(HIDA), participations, date(2026, 10, 1))


def test_prefecture_counts_municipal_activities_only_with_its_setting() -> None:
    participations = parts(HIDA, [date(2027, 5, 1)] * 3)
    refused("NOT_ENOUGH_ACTIVITIES", lg(GIFU), participations, TODAY)
    assert run(lg(GIFU, count_municipal_activities=True), participations, TODAY).status == "active"
    # ... never another prefecture's municipalities.
    refused("NOT_ENOUGH_ACTIVITIES", lg(SHIMANE, count_municipal_activities=True), participations, TODAY)


def test_identity_comes_first() -> None:
    refused("IDENTITY_NOT_VERIFIED", lg(HIDA), [], TODAY, identity_verified=False)


@pytest.mark.parametrize("government", [SHINJUKU, TOKYO])
def test_own_residence_is_refused(government: str) -> None:
    err = refused(
        "OWN_RESIDENCE_NOT_ALLOWED", lg(government), parts(government, [date(2027, 5, 1)] * 3), TODAY
    )
    assert err.details == {"residence_lg_code": SHINJUKU}


def test_limit_of_three() -> None:
    participations = parts(HIDA, [date(2027, 5, 1)] * 3)
    err = refused(
        "PREMIUM_LIMIT_REACHED",
        lg(HIDA),
        participations,
        TODAY,
        other_premium_lg_codes=[TAKAYAMA, MATSUE, "011002"],
    )
    assert err.details["current"] == ["011002", TAKAYAMA, MATSUE]
    assert run(lg(HIDA), participations, TODAY, other_premium_lg_codes=[TAKAYAMA, MATSUE]).status == "active"


def test_prefecture_is_free_while_a_municipality_inside_it_is_premium() -> None:
    assert premium_slots([HIDA, GIFU, MATSUE]) == 2
    assert premium_slots([GIFU, MATSUE, SHIMANE]) == 2
    assert premium_slots([GIFU, SHIMANE, "131016"]) == 3
    participations = parts(GIFU, [date(2027, 5, 1)] * 3)
    # 飛騨市, 松江市, 島根県 (free beside 松江市) + 岐阜県 (free beside 飛騨市): 2 places.
    assert (
        run(lg(GIFU), participations, TODAY, other_premium_lg_codes=[HIDA, MATSUE, SHIMANE]).status
        == "active"
    )
    # Without a municipality inside it, the prefecture takes the fourth place.
    refused(
        "PREMIUM_LIMIT_REACHED",
        lg(GIFU),
        participations,
        TODAY,
        other_premium_lg_codes=["131016", MATSUE, "011002"],
    )


def test_auto_approval_off_waits_for_a_coordinator() -> None:
    result = run(lg(HIDA, auto_approval=False), parts(HIDA, [date(2027, 5, 1)] * 3), TODAY)
    assert result.status == "pending_review" and result.valid_until is None


def test_long_term_stayer_from_stay_days() -> None:
    days = [date(2027, 5, d) for d in range(1, 10)]
    participations = parts(HIDA, days)
    assert not run(lg(HIDA), participations, TODAY).long_term_stayer
    assert run(lg(HIDA), participations, TODAY, stay_days=[date(2027, 6, 1)]).long_term_stayer
    assert run(lg(HIDA, long_stay_days=9), participations, TODAY).long_term_stayer


def test_premium_granted_on_29_february_runs_to_28_february() -> None:
    assert one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("day", "minor"),
    [(date(2026, 6, 14), True), (date(2026, 6, 15), False), (date(2026, 6, 16), False)],
)
def test_eighteenth_birthday(day: date, minor: bool) -> None:
    assert is_minor(date(2008, 6, 15), day) is minor


@pytest.mark.parametrize(
    ("day", "age"),
    [(date(2026, 2, 28), 17), (date(2026, 3, 1), 18), (date(2028, 2, 28), 19), (date(2028, 2, 29), 20)],
)
def test_born_on_29_february(day: date, age: int) -> None:
    assert age_on(date(2008, 2, 29), day) == age
