"""The scheduled sweeps (rules 6 and 15), as pure rules: the business day of a run, the day each
item falls due, calendar-month arithmetic, and what the person is told.

No I/O: `capabilities.sweeps` reads and writes; this module decides.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from furusato.clock import JST, iso, parse_instant
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.lg import PremiumSettings
from furusato.domain.registration import Participation, Registration, prefecture_of_municipality

SWEEPS: tuple[str, ...] = ("renewal", "inactivity")
# Rule 6's period where a registration does not hold its government's (written before it did).
DEFAULT_INACTIVITY_MONTHS = PremiumSettings().inactivity_months
# Hand the rest on when less than this is left of the invocation (one item takes ~100 ms).
DEFAULT_MARGIN_MS = 60_000
# Hand-offs of one run before it gives up loudly (the error alarm fires): a loop guard.
MAX_HANDOFFS = 50


@dataclass(frozen=True)
class SweepRequest:
    """The payload of the schedule's target: {"sweep", "scheduled_time", "resume"?}."""

    sweep: str
    scheduled_time: datetime  # aware
    resume: bool = False

    @property
    def day(self) -> date:
        """The business day the run acts for: the scheduled time's JST date (not the wall clock)."""
        return business_day(self.scheduled_time)

    @property
    def run_id(self) -> str:
        """The scheduled time in one canonical spelling (JST, seconds), so `...T18:00:00Z` and
        `...T03:00:00+09:00` are the same run."""
        return iso(self.scheduled_time)

    def payload(self, *, resume: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"sweep": self.sweep, "scheduled_time": self.run_id}
        if resume:
            body["resume"] = True
        return body


def parse_request(event: Any) -> SweepRequest:
    """Strict: exactly the schedule's fields; anything else is a malformed event (it fails the
    invocation, which lands in the dead-letter queue and raises the alarm)."""
    if not isinstance(event, dict):
        raise InvalidInput("a sweep event is a JSON object", details={"event": "not an object"})
    bad: dict[str, str] = {
        name: "unknown field" for name in event if name not in ("sweep", "scheduled_time", "resume")
    }
    sweep = event.get("sweep")
    if sweep not in SWEEPS:
        bad["sweep"] = f"one of {', '.join(SWEEPS)}"
    scheduled = parse_instant(event.get("scheduled_time"))
    if scheduled is None:
        bad["scheduled_time"] = "an ISO 8601 instant with its offset, e.g. 2026-07-01T03:00:00+09:00"
    resume = event.get("resume", False)
    if not isinstance(resume, bool):
        bad["resume"] = "true or false"
    if bad or scheduled is None:
        raise InvalidInput("invalid sweep event", details=bad)
    return SweepRequest(sweep=str(sweep), scheduled_time=scheduled, resume=resume)


def business_day(instant: datetime) -> date:
    return instant.astimezone(JST).date()


# --- calendar months ------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Calendar months; a day the target month lacks becomes its last day (31 March + 1 month =
    30 April; 31 March - 1 month = 28/29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def lapse_day(last_access: date, months: int) -> date:
    """Rule 6: a basic registration lapses on the day `months` months of no access are reached."""
    return add_months(last_access, months)


def warning_day(last_access: date, months: int) -> date | None:
    """One month before the lapse (months - 1 of no access); none when the period is 1 month."""
    return add_months(last_access, months - 1) if months >= 2 else None


def next_inactivity_day(reg: Registration, access: date, months: int) -> date:
    """The day the inactivity sweep next acts on a basic registration: its warning (M - 1 months
    after the last access) until the warning for this lapse day is sent, then the lapse (M months)."""
    lapses_on = lapse_day(access, months)
    warn_on = warning_day(access, months)
    if warn_on is None or reg.notice_sent_for == lapses_on.isoformat():
        return lapses_on
    return warn_on


def inactivity_due(registrations: Iterable[Registration], access: date | None) -> date | None:
    """The day the inactivity sweep next acts on a person: the earliest next day of their active
    basic registrations, each with its government's period as the registration holds it; None
    when nothing can lapse (premium, pending, ended, or an automatic prefecture registration
    that ends with its municipalities)."""
    if access is None:
        return None
    regs = list(registrations)
    days = [
        next_inactivity_day(reg, access, reg.inactivity_months or DEFAULT_INACTIVITY_MONTHS)
        for reg in regs
        if reg.plan == "basic" and reg.status == "active" and not held_by_municipality(reg, regs)
    ]
    return min(days, default=None)


def last_access(last_seen: str | None, participations: Iterable[Participation]) -> date | None:
    """The person's latest access: the last day the app saw them, or the latest day they took
    part in an activity (check-ins do not write last_seen)."""
    days = [p.day for p in participations]
    if last_seen:
        days.append(date.fromisoformat(last_seen))
    return max(days) if days else None


def held_by_municipality(reg: Registration, registrations: Iterable[Registration]) -> bool:
    """An automatic prefecture registration lives as long as a live registration with one of the
    prefecture's municipalities (rule 3): it does not lapse by itself meanwhile, it ends with the
    last of them."""
    if not reg.auto_created or prefecture_of_municipality(reg.lg_code) is not None:
        return False
    return any(r.live and prefecture_of_municipality(r.lg_code) == reg.lg_code for r in registrations)


# --- what the person is told ----------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def renewal_notice(lg_name: str, valid_until: date) -> Message:
    return Message(
        f"{lg_name}のプレミアム登録の更新時期です",
        f"プレミアム登録の有効期限は{valid_until.isoformat()}です。有効期限の日に、過去の活動実績で"
        "更新を判定します。",
    )


def renewal_review_notice(lg_name: str, valid_until: date) -> Message:
    return Message(
        f"{lg_name}のプレミアム登録の更新は審査中です",
        f"有効期限({valid_until.isoformat()})を迎えたプレミアム登録の更新は、条件を満たしています。"
        "コーディネーターの審査をお待ちください。",
    )


def renewed_notice(lg_name: str, valid_until: date) -> Message:
    return Message(
        f"{lg_name}のプレミアム登録を更新しました",
        f"新しい有効期限は{valid_until.isoformat()}です。",
    )


def refusal_reason(refusal: Conflict) -> str:
    """Why a renewal was refused, in the figures the judgement counted:
    "required 3, counted 2 in 2026-07-01..2027-06-30"."""
    details = refusal.details
    if refusal.code == "NOT_ENOUGH_ACTIVITIES":
        window = details.get("window") or {}
        return (
            f"not enough designated activities: required {details.get('required')}, counted "
            f"{details.get('counted')} in {window.get('start')}..{window.get('end')}"
        )
    return refusal.message


def downgraded_notice(lg_name: str, valid_until: date, refusal: Conflict) -> Message:
    details = refusal.details
    if refusal.code == "NOT_ENOUGH_ACTIVITIES":
        window = details.get("window") or {}
        why = (
            f"期間中の担い手活動が必要数に達しませんでした(必要 {details.get('required')} 件、"
            f"実績 {details.get('counted')} 件、期間 {window.get('start')}..{window.get('end')})。"
        )
    elif refusal.code == "IDENTITY_NOT_VERIFIED":
        why = "マイナンバーカードによる本人確認が確認できませんでした。"
    elif refusal.code == "OWN_RESIDENCE_NOT_ALLOWED":
        why = "お住まいの自治体ではプレミアム登録ができません。"
    elif refusal.code == "PREMIUM_LIMIT_REACHED":
        why = "プレミアム登録は3自治体までです。"
    else:
        why = refusal.message
    return Message(
        f"{lg_name}のプレミアム登録はベーシック登録に戻りました",
        f"有効期限({valid_until.isoformat()})の更新判定で条件を満たしませんでした。{why}"
        f"(reason: {refusal_reason(refusal)}) ベーシック登録は続きます。",
    )


def lapse_warning_notice(lg_name: str, lapses_on: date, prefecture_name: str | None = None) -> Message:
    """The warning one month before a lapse; it names the automatic prefecture registration that
    would end with it (rule 6)."""
    names = f"{lg_name}と{prefecture_name}" if prefecture_name else lg_name
    return Message(
        f"{names}の登録がまもなく失効します",
        f"長い間ご利用がないため、{lapses_on.isoformat()}に{names}のベーシック登録が失効します。"
        "アプリを開くと登録は続きます。",
    )


def prefecture_following(reg: Registration, registrations: Iterable[Registration]) -> str | None:
    """The automatic prefecture registration that would end with this municipal registration's
    lapse (rule 3): live, basic, automatic, and held by no other live municipal registration
    except basic ones, which lapse for the same lack of access (premium never lapses)."""
    prefecture = prefecture_of_municipality(reg.lg_code)
    if prefecture is None:
        return None
    regs = list(registrations)
    pref = next((r for r in regs if r.lg_code == prefecture), None)
    if pref is None or not pref.live or not pref.auto_created or pref.plan != "basic":
        return None
    for other in regs:
        if other.lg_code == reg.lg_code or not other.live:
            continue
        if prefecture_of_municipality(other.lg_code) == prefecture and other.plan != "basic":
            return None
    return prefecture


def lapsed_notice(lg_name: str) -> Message:
    return Message(
        f"{lg_name}の登録が失効しました",
        "長い間ご利用がなかったため、ベーシック登録が失効しました。いつでも登録し直せます。",
    )
