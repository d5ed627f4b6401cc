"""Local governments: kinds, premium settings and the judgement window."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from furusato.domain.errors import InvalidInput
from furusato.domain.lg_code import (
    is_prefecture,
    is_valid_lg_code,
    is_valid_prefecture_code,
    prefecture_code_of,
)
from furusato.domain.survey import Question, full_survey

Kind = Literal["prefecture", "municipality"]
Window = Literal["rolling_365d", "fiscal_year"]

MIN_ACTIVITIES_FLOOR = 3  # rule 10: a government may require more, never fewer
# Records from this day on count (rule 11).
RECORDS_COUNT_FROM = date(2026, 4, 1)


@dataclass(frozen=True)
class PremiumSettings:
    min_activities: int = MIN_ACTIVITIES_FLOOR
    window: Window = "rolling_365d"
    long_stay_days: int = 10
    auto_approval: bool = True
    inactivity_months: int = 24
    count_municipal_activities: bool = False


def check_settings(kind: Kind, settings: PremiumSettings) -> PremiumSettings:
    """Range checks beyond the types; municipalities have no municipal activities to count."""
    if settings.count_municipal_activities and kind != "prefecture":
        raise InvalidInput(
            "only a prefecture counts its municipalities' activities",
            details={"count_municipal_activities": "allowed only for a prefecture"},
        )
    return settings


@dataclass(frozen=True)
class Section:
    """A section of the introduction page; `image_key` names an accepted `page_image` upload."""

    heading: str
    body: str = ""
    image_key: str | None = None
    image_type: str | None = None
    image_alt: str | None = None
    # The S3 version that was checked: links always serve that object.
    image_version: str | None = None


@dataclass(frozen=True)
class Page:
    title: str = ""
    body: str = ""
    updated_at: str | None = None
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class LocalGovernment:
    lg_code: str
    name: str
    kind: Kind
    prefecture_code: str
    settings: PremiumSettings = field(default_factory=PremiumSettings)
    page: Page = field(default_factory=Page)
    own_questions: tuple[Question, ...] = ()
    onboarded_at: str | None = None

    @property
    def survey(self) -> tuple[Question, ...]:
        return full_survey(self.own_questions)

    def with_settings(self, settings: PremiumSettings) -> LocalGovernment:
        return replace(self, settings=check_settings(self.kind, settings))


@dataclass(frozen=True)
class Listing:
    """An onboarded government as the directory lists it: what the public directory and the
    operator's list show, and the one setting read across all governments (the inactivity sweep's
    period). The other settings, the page and the survey stay with the government."""

    lg_code: str
    name: str
    kind: Kind
    prefecture_code: str
    onboarded_at: str | None
    inactivity_months: int


def check_onboarding(lg_code: str, kind: Kind, prefecture_code: str) -> None:
    """An onboarded government's code, kind and prefecture must agree with each other."""
    if not is_valid_lg_code(lg_code):
        raise InvalidInput("invalid lg_code", details={"lg_code": "6 digits with a valid check digit"})
    if not is_valid_prefecture_code(prefecture_code):
        raise InvalidInput("invalid prefecture_code", details={"prefecture_code": '"01" to "47"'})
    if prefecture_code_of(lg_code) != prefecture_code:
        raise InvalidInput(
            "lg_code is not in that prefecture",
            details={"prefecture_code": "must match lg_code's first 2 digits"},
        )
    if (kind == "prefecture") != is_prefecture(lg_code):
        raise InvalidInput(
            "kind does not match lg_code", details={"kind": f"lg_code {lg_code} is not a {kind}"}
        )


@dataclass(frozen=True)
class JudgementWindow:
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end and day >= RECORDS_COUNT_FROM


def one_year_before(day: date) -> date:
    """The same calendar day a year earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def fiscal_year_start(day: date) -> date:
    """1 April of the fiscal year (April to March) containing `day`."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def judgement_windows(
    settings: PremiumSettings, day: date, *, renewal: bool = False
) -> tuple[JudgementWindow, ...]:
    """The windows a judgement on `day` may pass in (rule 10), as JST dates, both ends included;
    the requirement is met when any one of them holds it. No window ends after `day`.

    rolling_365d: the 365 days up to and including `day`; a renewal (`day` is the previous
    valid_until) judges (valid_until - 1 year, valid_until] in calendar terms, so that no day
    between two judgements is left out (366 days across a 29 February).
    fiscal_year: the last complete fiscal year (ended before `day`), then the current fiscal year
    up to `day`.
    """
    if settings.window == "fiscal_year":
        current = fiscal_year_start(day)
        last = JudgementWindow(date(current.year - 1, 4, 1), current - timedelta(days=1))
        return (last, JudgementWindow(current, day))
    if renewal:
        return (JudgementWindow(one_year_before(day) + timedelta(days=1), day),)
    return (JudgementWindow(day - timedelta(days=364), day),)
