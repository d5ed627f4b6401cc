"""Registrations of a person with local governments (rules 1-6) and their progress (rules 10-16)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from furusato.domain.lg import LocalGovernment, judgement_windows
from furusato.domain.lg_code import is_prefecture, prefecture_code_of, prefecture_lg_code

Plan = Literal["basic", "premium"]
Status = Literal["active", "pending_review", "lapsed", "withdrawn"]
LIVE_STATUSES: frozenset[str] = frozenset({"active", "pending_review"})


@dataclass
class Registration:
    registration_id: str
    lg_code: str
    plan: Plan
    status: Status
    own_residence: bool
    auto_created: bool
    registered_at: str
    survey_answers: dict[str, Any] = field(default_factory=dict)
    premium_valid_until: str | None = None
    long_term_stayer: bool = False
    decision_reason: str | None = None
    notice_sent_for: str | None = None
    auto_upgrade: bool = False  # rule 14: premium at the scan that meets the requirement
    upgrade_refused: str | None = None  # the refusal of an automatic upgrade the person was told
    # The government's inactivity period when the registration was last written (rule 6): it
    # places the person in the inactivity sweep's due index without reading the government.
    inactivity_months: int | None = None

    @property
    def live(self) -> bool:
        """Counts as a registration the person holds (not lapsed or withdrawn)."""
        return self.status in LIVE_STATUSES


@dataclass(frozen=True)
class Participation:
    """One person's attendance at one activity, as far as progress needs it."""

    activity_id: str
    lg_code: str  # the government that holds the activity
    designated: bool
    day: date  # JST date of the activity
    # Only a confirmed participation is evidence (counts, stay days, premium): an offline scan
    # of a printed code arriving after the check-in window is `unconfirmed` until staff confirm
    # it from the roster, or `rejected` (docs/domain.md, "Offline scans").
    status: str = "confirmed"

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


def is_own_residence(lg_code: str, residence_lg_code: str | None) -> bool:
    """Rule 5: the municipality covering the address and its prefecture are both own residence."""
    if not residence_lg_code:
        return False
    if lg_code == residence_lg_code:
        return True
    return is_prefecture(lg_code) and prefecture_code_of(lg_code) == prefecture_code_of(residence_lg_code)


def prefecture_of_municipality(lg_code: str) -> str | None:
    """The prefecture a municipality belongs to (rule 3); None for a prefecture."""
    return None if is_prefecture(lg_code) else prefecture_lg_code(prefecture_code_of(lg_code))


def prefecture_to_withdraw(ended_lg_code: str, registrations: Iterable[Registration]) -> str | None:
    """Rule 3: after a municipal registration ends, the automatic prefecture registration ends
    too when no other live registration with a municipality of that prefecture remains, unless the
    person registered with the prefecture directly (then it is not `auto_created`)."""
    prefecture = prefecture_of_municipality(ended_lg_code)
    if prefecture is None:
        return None
    regs = list(registrations)
    pref_reg = next((r for r in regs if r.lg_code == prefecture), None)
    if pref_reg is None or not pref_reg.live or not pref_reg.auto_created:
        return None
    for reg in regs:
        if reg.lg_code in (ended_lg_code, prefecture) or not reg.live:
            continue
        if prefecture_of_municipality(reg.lg_code) == prefecture:
            return None
    return prefecture


def counts_toward(lg: LocalGovernment, participation: Participation) -> bool:
    """Rules 11-12: designated activities of the government itself, or of its municipalities when
    a prefecture's setting says so."""
    if not participation.designated:
        return False
    if participation.lg_code == lg.lg_code:
        return True
    return (
        lg.kind == "prefecture"
        and lg.settings.count_municipal_activities
        and prefecture_code_of(participation.lg_code) == lg.prefecture_code
    )


def in_area(lg: LocalGovernment, participation: Participation) -> bool:
    """Presence in the government's area: its own territory, a prefecture's covers its municipalities."""
    if lg.kind == "prefecture":
        return prefecture_code_of(participation.lg_code) == lg.prefecture_code
    return participation.lg_code == lg.lg_code


@dataclass(frozen=True)
class Counted:
    """What a judgement on a day counts: the distinct designated activities and stay days of the
    best window, and the window shown to the person (never ending after the day)."""

    activities: int
    stay_days: int
    window_start: date
    window_end: date


def count(
    lg: LocalGovernment,
    participations: Iterable[Participation],
    day: date,
    stay_declaration_days: Iterable[date] = (),
    *,
    renewal: bool = False,
) -> Counted:
    """Count in each window of the judgement on `day` (rule 10) and keep the best: the most
    activities (on a tie, the later window) and, separately, the most stay days (rule 16)."""
    parts = [p for p in participations if p.confirmed]
    declared = list(stay_declaration_days)
    best: tuple[int, date, date] | None = None
    most_days = 0
    for window in judgement_windows(lg.settings, day, renewal=renewal):
        activities = {p.activity_id for p in parts if window.contains(p.day) and counts_toward(lg, p)}
        days = {d for d in declared if window.contains(d)}
        days |= {p.day for p in parts if window.contains(p.day) and in_area(lg, p)}
        most_days = max(most_days, len(days))
        if best is None or len(activities) >= best[0]:
            best = (len(activities), window.start, window.end)
    assert best is not None
    return Counted(best[0], most_days, best[1], best[2])


def counted_on(lg: LocalGovernment, participation: Participation, day: date) -> bool:
    """The participation counts toward `lg` in a judgement on `day` (rules 10-12)."""
    return (
        participation.confirmed
        and counts_toward(lg, participation)
        and any(w.contains(participation.day) for w in judgement_windows(lg.settings, day))
    )


@dataclass(frozen=True)
class Progress:
    activities_counted: int
    activities_required: int
    stay_days: int
    long_stay_days: int
    window_start: date
    window_end: date

    @property
    def long_term_stayer(self) -> bool:
        return self.stay_days >= self.long_stay_days


def progress(
    lg: LocalGovernment,
    participations: Iterable[Participation],
    today: date,
    stay_declaration_days: Iterable[date] = (),
) -> Progress:
    """Where the person stands toward an application judged today."""
    counted = count(lg, participations, today, stay_declaration_days)
    return Progress(
        activities_counted=counted.activities,
        activities_required=lg.settings.min_activities,
        stay_days=counted.stay_days,
        long_stay_days=lg.settings.long_stay_days,
        window_start=counted.window_start,
        window_end=counted.window_end,
    )
