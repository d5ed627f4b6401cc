"""Premium judgement on a person's records (rules 5, 7, 10-16), shared by applications, reviews,
the renewal sweep and the automatic upgrade at the qualifying scan."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from furusato import clock
from furusato.domain import premium as rules
from furusato.domain.errors import Conflict
from furusato.domain.lg import LocalGovernment
from furusato.domain.notifications import NotificationKind
from furusato.domain.premium import Judgement, Upgrade, judge
from furusato.domain.registration import Registration, is_own_residence, prefecture_of_municipality
from furusato.store import lgs, notifications, people
from furusato.store.people import PersonRecord

# Concurrent premium upgrades of one person conflict on the places ledger; each loser is judged
# again on fresh data (rule 13), so the limit holds and every request gets a real answer.
PREMIUM_ATTEMPTS = 12


def judge_record(
    record: PersonRecord, lg: LocalGovernment, today: date, *, renewal: bool = False
) -> Judgement:
    """Judge from what the person's partition holds: identity, residence, participations,
    approved stays and the other premium places. Raises Conflict with the refusal's code.
    A renewal is judged on the previous valid_until (`today`) over the year it closes."""
    identity = record.identity
    return judge(
        lg=lg,
        # Rule 9: a minor's verification holds only with a guardian's consent.
        identity_verified=identity is not None and (not identity.minor or bool(identity.guardian_consent)),
        residence_lg_code=record.profile.residence_lg_code if record.profile else None,
        participations=record.participations,
        stay_days=record.stays.get(lg.lg_code, ()),
        other_premium_lg_codes=record.premium_lg_codes(excluding=lg.lg_code),
        today=today,
        renewal=renewal,
    )


def granted(reg: Registration, judgement: Judgement) -> Registration:
    """The registration after a judgement that passed (active for a year, or waiting for review)."""
    return replace(
        reg,
        plan="premium",
        status=judgement.status,  # type: ignore[arg-type]
        premium_valid_until=judgement.valid_until.isoformat() if judgement.valid_until else None,
        long_term_stayer=judgement.long_term_stayer,
        decision_reason=None,
        notice_sent_for=None,
        upgrade_refused=None,
    )


def retrying(attempt: int) -> None:
    """Back off before judging again after a concurrent change (jittered)."""
    time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))  # noqa: S311 - jitter, not crypto


# --- after a participation: automatic premium (rule 14) and the long-term stayer flag (rule 16)


def needs_review(lg: LocalGovernment, reg: Registration, stayer_now: bool, qualifies: bool) -> bool:
    """Cheap test on what a check-in already holds: does a new participation call for
    `after_participation` (one more Query)? An opted-in basic registration that now meets the
    requirement where auto-approval is on, or a premium one whose stayer flag would change."""
    if reg.status != "active":
        return False
    if reg.plan == "premium":
        return stayer_now != reg.long_term_stayer
    return reg.auto_upgrade and lg.settings.auto_approval and qualifies


def after_participation(
    sub: str, lg_codes: Iterable[str], day: date, *, upgrade: bool = True
) -> Upgrade | None:
    """Apply what new participations mean for the person's registrations with these governments,
    judged on `day`: an opted-in basic registration becomes premium when the requirement is met
    (the same judgement as an application: identity, own residence, the limit of 3 race-safe
    through the places ledger, minors); a refusal is told once; a premium registration's
    long-term stayer flag follows the records. Returns the upgrade made, if any. `upgrade=False`:
    the stayer flag only (approved stays are no scan)."""
    governments = lgs.batch_get(sorted(set(lg_codes)))
    for attempt in range(PREMIUM_ATTEMPTS):
        record = people.load(sub)
        try:
            return _after(record, [governments[c] for c in sorted(governments)], day, upgrade)
        except Conflict as exc:
            if exc.code != "CONCURRENT_UPDATE" or attempt == PREMIUM_ATTEMPTS - 1:
                raise
            retrying(attempt)
    raise AssertionError("unreachable")


def _after(
    record: PersonRecord, governments: list[LocalGovernment], day: date, upgrade_on: bool
) -> Upgrade | None:
    changed: list[Registration] = []
    told: list[tuple[NotificationKind, str, tuple[str, str], str]] = []
    upgrade: Upgrade | None = None
    # What the judgements of this pass see: an upgrade takes its place for the next government.
    # The record itself stays as read, so that `people.save` conditions the places ledger on it.
    judged = replace(record, registrations=dict(record.registrations))
    for lg in governments:
        reg = record.registrations.get(lg.lg_code)
        if reg is None or reg.status != "active":
            continue
        if reg.plan == "premium":
            counted = rules.count(lg, record.participations, day, record.stays.get(lg.lg_code, ()))
            stayer = rules.is_long_term_stayer(lg, counted)
            if stayer != reg.long_term_stayer:
                changed.append(replace(reg, long_term_stayer=stayer))
            continue
        if not (upgrade_on and reg.auto_upgrade and lg.settings.auto_approval):
            continue
        try:
            judgement = judge_record(judged, lg, day)
        except Conflict as refusal:
            if refusal.code == "NOT_ENOUGH_ACTIVITIES" or refusal.code == reg.upgrade_refused:
                continue  # not there yet, or already told why
            changed.append(replace(reg, upgrade_refused=refusal.code))
            dedupe = f"{reg.registration_id}:{refusal.code}"
            told.append(
                (
                    NotificationKind.UPGRADE_REFUSED,
                    lg.lg_code,
                    rules.upgrade_refused_notice(lg.name, refusal),
                    dedupe,
                )
            )
            continue
        assert judgement.valid_until is not None  # auto-approval is on
        changed.append(granted(reg, judgement))
        upgrade = Upgrade(lg.lg_code, judgement.valid_until.isoformat())
        message = rules.upgraded_notice(lg.name, judgement.valid_until)
        told.append(
            (NotificationKind.UPGRADED, lg.lg_code, message, f"{reg.registration_id}:{upgrade.valid_until}")
        )
        judged.registrations[lg.lg_code] = changed[-1]
    if not changed:
        return None
    # The version conditions and the places ledger make this race-safe: a concurrent
    # application that took the third place fails one of them, and this is judged again.
    people.save(record, changed)
    for kind, lg_code, (title, body), dedupe in told:
        notifications.notify(record.sub, kind, title=title, body=body, lg_code=lg_code, dedupe_key=dedupe)
    return upgrade


def governments_counting(lg_code: str) -> list[str]:
    """The governments a participation at `lg_code`'s activity may count for: itself and, for a
    municipality, its prefecture (municipal activities and stay days in its area)."""
    prefecture = prefecture_of_municipality(lg_code)
    return [lg_code] + ([prefecture] if prefecture else [])


# --- a verified address moves the residence (rule 5) ------------------------------------------


def residence_changes(record: PersonRecord, residence: str | None) -> tuple[list[Registration], list[str]]:
    """Registrations whose `own_residence` changes with the residence. A premium registration
    (active or waiting for review) that becomes own residence falls back to basic at once, with
    the reason. Returns the changed registrations and the governments to tell."""
    changed: list[Registration] = []
    downgraded: list[str] = []
    for reg in record.registrations.values():
        if reg.status in ("withdrawn", "lapsed"):
            continue
        own = is_own_residence(reg.lg_code, residence)
        if own == reg.own_residence:
            continue
        new = replace(reg, own_residence=own)
        if own and reg.plan == "premium":
            new = replace(
                new,
                plan="basic",
                status="active",
                premium_valid_until=None,
                notice_sent_for=None,
                long_term_stayer=False,
                decision_reason=rules.OWN_RESIDENCE_REASON,
            )
            downgraded.append(reg.lg_code)
        changed.append(new)
    return changed, downgraded


def tell_own_residence_downgrades(sub: str, lg_codes: list[str]) -> None:
    if not lg_codes:
        return
    governments = lgs.batch_get(lg_codes)
    now = clock.now()
    for code in lg_codes:
        lg = governments.get(code)
        title, body = rules.own_residence_downgrade_notice(lg.name if lg else code)
        notifications.notify(
            sub,
            NotificationKind.DOWNGRADED,
            title=title,
            body=body,
            lg_code=code,
            dedupe_key=f"{code}:own:{now}",
        )
