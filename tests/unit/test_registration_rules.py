from datetime import date

import pytest

from furusato.domain.errors import InvalidInput
from furusato.domain.lg import (
    JudgementWindow,
    LocalGovernment,
    PremiumSettings,
    check_onboarding,
    check_settings,
    judgement_windows,
)
from furusato.domain.registration import (
    Participation,
    Registration,
    is_own_residence,
    prefecture_of_municipality,
    prefecture_to_withdraw,
    progress,
)

SHINJUKU, TOKYO, HIDA, GIFU, TAKAYAMA = "131041", "130001", "212172", "210005", "212032"


def reg(lg_code: str, *, status: str = "active", auto: bool = False) -> Registration:
    return Registration(f"reg_{lg_code}", lg_code, "basic", status, False, auto, "2026-05-01T00:00:00+09:00")  # type: ignore[arg-type]


def test_own_residence_covers_the_municipality_and_its_prefecture() -> None:
    assert is_own_residence(SHINJUKU, SHINJUKU)
    assert is_own_residence(TOKYO, SHINJUKU)
    assert not is_own_residence(HIDA, SHINJUKU)
    assert not is_own_residence(GIFU, SHINJUKU)
    assert not is_own_residence(HIDA, None)
    # A municipality is not the residence of someone living elsewhere in its prefecture.
    assert not is_own_residence(HIDA, TAKAYAMA)


def test_prefecture_of_municipality() -> None:
    assert prefecture_of_municipality(HIDA) == GIFU
    assert prefecture_of_municipality(GIFU) is None


def test_automatic_prefecture_ends_with_the_last_municipality() -> None:
    regs = [reg(HIDA), reg(GIFU, auto=True)]
    assert prefecture_to_withdraw(HIDA, regs) == GIFU


def test_automatic_prefecture_stays_while_another_municipality_remains() -> None:
    regs = [reg(HIDA), reg(TAKAYAMA), reg(GIFU, auto=True)]
    assert prefecture_to_withdraw(HIDA, regs) is None
    # ... unless that other registration already ended.
    regs = [reg(HIDA), reg(TAKAYAMA, status="withdrawn"), reg(GIFU, auto=True)]
    assert prefecture_to_withdraw(HIDA, regs) == GIFU


def test_direct_prefecture_registration_is_never_withdrawn_automatically() -> None:
    assert prefecture_to_withdraw(HIDA, [reg(HIDA), reg(GIFU, auto=False)]) is None


def test_withdrawing_a_prefecture_touches_nothing_else() -> None:
    assert prefecture_to_withdraw(GIFU, [reg(HIDA), reg(GIFU, auto=True)]) is None


def test_rolling_window_is_the_365_days_up_to_today() -> None:
    (window,) = judgement_windows(PremiumSettings(), date(2027, 6, 30))
    assert window == JudgementWindow(date(2026, 7, 1), date(2027, 6, 30))
    assert (window.end - window.start).days + 1 == 365


@pytest.mark.parametrize(
    ("today", "last", "current"),
    [
        (
            date(2027, 3, 31),
            (date(2025, 4, 1), date(2026, 3, 31)),
            (date(2026, 4, 1), date(2027, 3, 31)),
        ),
        (
            date(2027, 4, 1),
            (date(2026, 4, 1), date(2027, 3, 31)),
            (date(2027, 4, 1), date(2027, 4, 1)),
        ),
    ],
)
def test_fiscal_year_windows_are_the_last_complete_year_and_the_current_one_up_to_today(
    today: date, last: tuple[date, date], current: tuple[date, date]
) -> None:
    windows = judgement_windows(PremiumSettings(window="fiscal_year"), today)
    assert [(w.start, w.end) for w in windows] == [last, current]
    assert all(w.end <= today for w in windows)


def test_records_before_april_2026_never_count() -> None:
    (window,) = judgement_windows(PremiumSettings(), date(2026, 11, 1))
    assert not window.contains(date(2026, 3, 31))
    assert window.contains(date(2026, 4, 1))


def lg(code: str, kind: str = "municipality", **settings: object) -> LocalGovernment:
    return LocalGovernment(code, "x", kind, code[:2], PremiumSettings(**settings))  # type: ignore[arg-type]


def part(activity: str, lg_code: str, day: date, designated: bool = True) -> Participation:
    return Participation(activity, lg_code, designated, day)


def test_progress_counts_distinct_designated_activities_and_stay_days() -> None:
    today = date(2026, 10, 1)
    parts = [
        part("a1", HIDA, date(2026, 5, 1)),
        part("a2", HIDA, date(2026, 5, 1)),
        part("a3", HIDA, date(2026, 6, 1), designated=False),
        part("a4", TAKAYAMA, date(2026, 7, 1)),
    ]
    p = progress(lg(HIDA), parts, today)
    assert (p.activities_counted, p.stay_days, p.activities_required) == (2, 2, 3)


def test_prefecture_counts_municipal_activities_only_with_its_setting() -> None:
    today = date(2026, 10, 1)
    parts = [part("a1", HIDA, date(2026, 5, 1)), part("a2", GIFU, date(2026, 5, 2))]
    assert progress(lg(GIFU, "prefecture"), parts, today).activities_counted == 1
    assert (
        progress(lg(GIFU, "prefecture", count_municipal_activities=True), parts, today).activities_counted
        == 2
    )
    # Presence anywhere in the prefecture is a stay day either way.
    assert progress(lg(GIFU, "prefecture"), parts, today).stay_days == 2


def test_settings_checks() -> None:
    with pytest.raises(InvalidInput):
        check_settings("municipality", PremiumSettings(count_municipal_activities=True))
    assert check_settings("prefecture", PremiumSettings(count_municipal_activities=True))


@pytest.mark.parametrize(
    ("code", "kind", "pref"),
    [
        ("212173", "municipality", "21"),
        ("212172", "prefecture", "21"),
        ("212172", "municipality", "13"),
        ("210005", "municipality", "21"),
        ("212172", "municipality", "48"),
    ],
)
def test_onboarding_rejects_inconsistent_codes(code: str, kind: str, pref: str) -> None:
    with pytest.raises(InvalidInput):
        check_onboarding(code, kind, pref)  # type: ignore[arg-type]


def test_onboarding_accepts_consistent_codes() -> None:
    check_onboarding("212172", "municipality", "21")
    check_onboarding("130001", "prefecture", "13")
