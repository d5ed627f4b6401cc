"""Premium judgement on a person's records (rules 7, 10-16), shared by applications, reviews and
the renewal sweep."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from furusato.domain.lg import LocalGovernment
from furusato.domain.premium import Judgement, judge
from furusato.domain.registration import Registration
from furusato.store.people import PersonRecord


def judge_record(
    record: PersonRecord, lg: LocalGovernment, today: date, *, renewal: bool = False
) -> Judgement:
    """Judge from what the person's partition holds: identity, residence, participations,
    approved stays and the other premium places. Raises Conflict with the refusal's code.
    A renewal is judged on the previous valid_until (`today`) over the year it closes."""
    return judge(
        lg=lg,
        identity_verified=record.identity is not None,
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
    )
