"""Profiles and registrations of a person (rules 1-6): the use cases behind /v1/me."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from furusato import clock
from furusato.capabilities import identity, premium
from furusato.domain.errors import Conflict, NotFound
from furusato.domain.lg import LocalGovernment
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.profile import Profile
from furusato.domain.registration import (
    Registration,
    is_own_residence,
    prefecture_of_municipality,
    prefecture_to_withdraw,
)
from furusato.domain.survey import validate_answers
from furusato.store import lgs, people
from furusato.store.ids import new_id
from furusato.views.registration import me_view, profile_view, registration_view, staff_registration_view


def _check_code(lg_code: str) -> None:
    if not is_valid_lg_code(lg_code):
        from furusato.domain.errors import invalid_field

        raise invalid_field("lg_code", "6 digits with a valid check digit")


def staff_list(
    lg_code: str, *, plan: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = people.list_for_lg(lg_code, plan=plan, status=status, limit=limit, cursor=cursor)
    return [staff_registration_view(r) for r in items], next_cursor


def _touch_day(record: people.PersonRecord) -> date | None:
    today = clock.today()
    return None if record.last_seen == today.isoformat() else today


def load_seen(sub: str) -> people.PersonRecord:
    """Load the person and record today's access (at most one write a day)."""
    record = people.load(sub)
    people.touch_last_seen(record, clock.today())
    return record


def me(sub: str) -> dict[str, Any]:
    record = load_seen(sub)
    return me_view(record, lgs.batch_get(record.registrations))


def list_registrations(sub: str) -> list[dict[str, Any]]:
    return me(sub)["registrations"]


def put_profile(sub: str, profile: Profile) -> dict[str, Any]:
    """Save the profile; the residence may have moved, so `own_residence` is re-derived."""
    record = people.load(sub)
    profile = identity.check_unlocked(record, profile)
    changed, downgraded = premium.residence_changes(record, profile.residence_lg_code)
    before = record.profile  # save() replaces it
    people.save(record, changed, profile=profile, touch=_touch_day(record))
    premium.tell_own_residence_downgrades(sub, downgraded)
    # Backfilled participations of someone with these facts now count for this person (rule 19).
    from furusato.capabilities import backfill  # only profile changes pay for the import

    backfill.attach_pending(sub, profile, previous=before, verified=record.identity is not None)
    return profile_view(profile)


def put_registration(
    sub: str,
    lg_code: str,
    plan: str,
    survey_answers: dict[str, Any] | None,
    *,
    auto_upgrade: bool | None = None,
    keyed: tuple[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Register (201) or update (200) a registration; a municipality brings its prefecture (rule 3).
    `plan: premium` runs the judgement: 200/201 active, 202 pending_review, or 409 with the reason.

    `keyed` (a request with an `Idempotency-Key`: its reply id and payload hash) keeps the answer
    in the person's partition, written in the same transaction: the same key again is answered
    from the partition Query (no extra round trip); with another payload, 409
    IDEMPOTENCY_KEY_REUSED."""
    _check_code(lg_code)
    prefecture = prefecture_of_municipality(lg_code)
    governments = lgs.batch_get([lg_code] + ([prefecture] if prefecture else []))
    lg = governments.get(lg_code)
    if lg is None:
        raise NotFound("this local government does not accept registrations", code="LG_NOT_ONBOARDED")
    replay = people.Reply(keyed[0], keyed[1], 0, "") if keyed else None
    for attempt in range(premium.PREMIUM_ATTEMPTS):
        record = people.load(sub)
        if replay is not None and replay.reply_id in record.replies:
            return _replayed(record.replies[replay.reply_id], replay)
        try:
            return _put(record, lg, governments, plan, survey_answers, auto_upgrade, replay)
        except Conflict as exc:
            if exc.code != "CONCURRENT_UPDATE" or attempt == premium.PREMIUM_ATTEMPTS - 1:
                raise
            premium.retrying(attempt)
    raise AssertionError("unreachable")


def _replayed(stored: people.Reply, replay: people.Reply) -> tuple[int, dict[str, Any]]:
    if stored.payload_hash != replay.payload_hash:
        raise Conflict(
            "this Idempotency-Key was used with a different request", code="IDEMPOTENCY_KEY_REUSED"
        )
    body: dict[str, Any] = json.loads(stored.body)
    return stored.status, body


def _put(
    record: people.PersonRecord,
    lg: LocalGovernment,
    governments: dict[str, LocalGovernment],
    plan: str,
    survey_answers: dict[str, Any] | None,
    auto_upgrade: bool | None,
    replay: people.Reply | None = None,
) -> tuple[int, dict[str, Any]]:
    lg_code = lg.lg_code
    prefecture = prefecture_of_municipality(lg_code)
    residence = record.profile.residence_lg_code if record.profile else None
    existing = record.registrations.get(lg_code)
    now = clock.iso(clock.now())
    creating = existing is None or not existing.live

    if creating:
        answers = validate_answers(lg.survey, survey_answers or {}, require_all=True)
        reg = Registration(
            registration_id=new_id("reg"),
            lg_code=lg_code,
            plan="basic",
            status="active",
            own_residence=is_own_residence(lg_code, residence),
            auto_created=False,
            registered_at=now,
            survey_answers=answers,
            inactivity_months=lg.settings.inactivity_months,
        )
    else:
        assert existing is not None
        answers = existing.survey_answers
        if survey_answers is not None:
            answers = {
                **existing.survey_answers,
                **validate_answers(lg.survey, survey_answers, require_all=False),
            }
            validate_answers(lg.survey, answers, require_all=True)
        # Registering directly where the registration was automatic makes it direct (rule 3).
        reg = replace(
            existing,
            survey_answers=answers,
            auto_created=False,
            inactivity_months=lg.settings.inactivity_months,
        )
    if auto_upgrade is not None and auto_upgrade != reg.auto_upgrade:
        reg = replace(reg, auto_upgrade=auto_upgrade, upgrade_refused=None)

    if plan == "premium" and reg.plan != "premium":
        judgement = premium.judge_record(record, lg, clock.today())
        reg = premium.granted(reg, judgement)
    elif plan == "basic" and reg.plan == "premium":
        reg = replace(reg, plan="basic", status="active", premium_valid_until=None, notice_sent_for=None)

    changed = [] if reg == existing else [reg]
    also: list[str] = []
    if (
        creating
        and prefecture
        and prefecture in governments
        and _first_in_prefecture(record, lg_code, prefecture)
    ):
        # Rule 5: only the first municipal registration brings the prefecture; a prefecture the
        # person withdrew from is never re-added by updates or by a second municipality.
        current = record.registrations.get(prefecture)
        if current is None or not current.live:
            changed.append(
                Registration(
                    registration_id=new_id("reg"),
                    lg_code=prefecture,
                    plan="basic",
                    status="active",
                    own_residence=is_own_residence(prefecture, residence),
                    auto_created=True,
                    registered_at=now,
                    inactivity_months=governments[prefecture].settings.inactivity_months,
                )
            )
            also.append(prefecture)
    # The view reads the records and stays only, which the save does not change.
    body = registration_view(reg, lg, record)
    body["also_registered"] = also
    status = 202 if reg.status == "pending_review" else 201 if creating else 200
    reply = replace(replay, status=status, body=json.dumps(body)) if replay is not None else None
    if changed or not record.exists or _touch_day(record):
        people.save(record, changed, touch=_touch_day(record), reply=reply)
    elif reply is not None and not people.save_reply(record.sub, reply):
        raise Conflict("the same request is being answered; retry", code="CONCURRENT_UPDATE")
    return status, body


def _first_in_prefecture(record: people.PersonRecord, lg_code: str, prefecture: str) -> bool:
    """No other live registration with a municipality of this prefecture exists."""
    return not any(
        reg.live and code != lg_code and prefecture_of_municipality(code) == prefecture
        for code, reg in record.registrations.items()
    )


def withdraw_registration(sub: str, lg_code: str) -> None:
    """End a registration; the automatic prefecture registration follows when it was the last
    municipality of that prefecture (rule 3). Survey answers are personal data: dropped."""
    _check_code(lg_code)
    record = people.load(sub)
    reg = record.registrations.get(lg_code)
    if reg is None or reg.status == "withdrawn":
        raise NotFound("no such registration")
    ended = replace(reg, status="withdrawn", survey_answers={})
    changed = [ended]
    pref_code = prefecture_to_withdraw(lg_code, record.registrations.values())
    if pref_code:
        changed.append(replace(record.registrations[pref_code], status="withdrawn", survey_answers={}))
    people.save(record, changed, touch=_touch_day(record))
