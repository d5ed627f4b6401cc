"""Premium judgement (rules 7, 10-16): pure, from the records, with the reason for every refusal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from furusato.domain.errors import Conflict
from furusato.domain.lg import LocalGovernment
from furusato.domain.lg_code import is_prefecture, prefecture_code_of
from furusato.domain.registration import Counted, Participation, is_own_residence
from furusato.domain.registration import count as count_in_windows

PREMIUM_LIMIT = 3  # rule 13
RENEWAL_NOTICE = timedelta(days=30)  # rule 15: notice 30 days before expiry


@dataclass(frozen=True)
class Upgrade:
    """A registration that a new participation made premium (rule 14), valid until that day."""

    lg_code: str
    valid_until: str


def renewal_due(plan: str, status: str, valid_until: str | None, notice_sent_for: str | None) -> date | None:
    """The day the renewal sweep next acts on a registration: the notice 30 days before
    valid_until, then the judgement on valid_until itself; None when nothing is due."""
    if plan != "premium" or status != "active" or not valid_until:
        return None
    until = date.fromisoformat(valid_until)
    return until if notice_sent_for == valid_until else until - RENEWAL_NOTICE


def premium_slots(lg_codes: Iterable[str]) -> int:
    """How many of the 3 premium places these governments take (rule 13): a prefecture takes
    none while a municipality inside it is premium too."""
    codes = set(lg_codes)
    municipal_prefectures = {prefecture_code_of(c) for c in codes if not is_prefecture(c)}
    return sum(1 for c in codes if not (is_prefecture(c) and prefecture_code_of(c) in municipal_prefectures))


def count(
    lg: LocalGovernment,
    participations: Iterable[Participation],
    today: date,
    stay_days: Iterable[date] = (),
    *,
    renewal: bool = False,
) -> Counted:
    """Distinct designated activities and distinct stay days counted for `lg` by a judgement on
    `today` (only what already happened counts)."""
    return count_in_windows(lg, participations, today, stay_days, renewal=renewal)


def is_long_term_stayer(lg: LocalGovernment, counted: Counted) -> bool:
    """Rule 16: the flag when stay days reach the government's N (default 10)."""
    return counted.stay_days >= lg.settings.long_stay_days


@dataclass(frozen=True)
class Judgement:
    """The outcome of a judgement that passed: active now, or waiting for a coordinator."""

    status: str  # "active" | "pending_review"
    valid_until: date | None
    long_term_stayer: bool
    counted: Counted


def judge(
    *,
    lg: LocalGovernment,
    identity_verified: bool,
    residence_lg_code: str | None,
    participations: Iterable[Participation],
    stay_days: Iterable[date] = (),
    other_premium_lg_codes: Iterable[str],
    today: date,
    renewal: bool = False,
) -> Judgement:
    """Judge a premium application or renewal; raise Conflict with the contract's code otherwise.

    `other_premium_lg_codes`: the person's other premium registrations (active or pending review),
    which hold their places against the limit of 3. `renewal`: `today` is the previous
    valid_until and the window is the year it closes (rule 10).
    """
    if not identity_verified:
        raise Conflict("premium needs a verified identity (My Number Card)", code="IDENTITY_NOT_VERIFIED")
    if is_own_residence(lg.lg_code, residence_lg_code):
        raise Conflict(
            "premium is not available where you live",
            code="OWN_RESIDENCE_NOT_ALLOWED",
            details={"residence_lg_code": residence_lg_code},
        )
    counted = count(lg, participations, today, stay_days, renewal=renewal)
    required = lg.settings.min_activities
    if counted.activities < required:
        raise Conflict(
            f"{required} designated activities are required in the window; {counted.activities} counted",
            code="NOT_ENOUGH_ACTIVITIES",
            details={
                "required": required,
                "counted": counted.activities,
                "window": {"start": counted.window_start.isoformat(), "end": counted.window_end.isoformat()},
            },
        )
    others = sorted(set(other_premium_lg_codes) - {lg.lg_code})
    if premium_slots([*others, lg.lg_code]) > PREMIUM_LIMIT:
        raise Conflict(
            f"premium is limited to {PREMIUM_LIMIT} local governments",
            code="PREMIUM_LIMIT_REACHED",
            details={"current": others, "limit": PREMIUM_LIMIT},
        )
    stayer = is_long_term_stayer(lg, counted)
    if not lg.settings.auto_approval:
        return Judgement("pending_review", None, stayer, counted)
    return Judgement("active", one_year_after(today), stayer, counted)


def one_year_after(day: date) -> date:
    """Rule 15: premium holds for one year; the renewal is judged on this date. A 29 February
    grant runs to 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def refusal_details(error: Conflict) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, **error.details}


def age_on(birth_date: date, day: date) -> int:
    """Age in full years on a JST day. By Japanese law a year of age is completed at the end of
    the day before the birthday, so on the birthday itself (and on 1 March for a 29 February
    birthday in a common year) the new age holds all day."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


ADULT_AGE = 18


def is_minor(birth_date: date, day: date) -> bool:
    return age_on(birth_date, day) < ADULT_AGE


# --- what the person is told about automatic decisions ---------------------------------------

REFUSAL_WHY = {
    "IDENTITY_NOT_VERIFIED": "マイナンバーカードによる本人確認が必要です。",
    "OWN_RESIDENCE_NOT_ALLOWED": "お住まいの自治体ではプレミアム登録ができません。",
    "PREMIUM_LIMIT_REACHED": "プレミアム登録は3自治体までです。",
}


def upgraded_notice(lg_name: str, valid_until: date) -> tuple[str, str]:
    return (
        f"{lg_name}のプレミアム登録になりました",
        f"担い手活動の実績が条件を満たしたため、自動でプレミアム登録に切り替えました。"
        f"有効期限は{valid_until.isoformat()}です。",
    )


def upgrade_refused_notice(lg_name: str, refusal: Conflict) -> tuple[str, str]:
    why = REFUSAL_WHY.get(refusal.code, refusal.message)
    return (
        f"{lg_name}のプレミアム登録に自動で切り替えられませんでした",
        f"担い手活動の実績は条件を満たしていますが、{why}ベーシック登録は続きます。",
    )


def own_residence_downgrade_notice(lg_name: str) -> tuple[str, str]:
    return (
        f"{lg_name}のプレミアム登録はベーシック登録に戻りました",
        f"本人確認の住所が{lg_name}の区域になったため、お住まいの自治体ではプレミアム登録ができません。"
        "ベーシック登録は続きます。",
    )


OWN_RESIDENCE_REASON = "own residence: premium is not available where you live (the verified address moved)"
