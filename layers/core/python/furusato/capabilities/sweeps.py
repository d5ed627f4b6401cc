"""The scheduled sweeps (docs/sweeps.md): the premium renewal (rule 15) and the lapse of inactive
basic registrations (rule 6).

Both read only what is due, from gsi2: registrations under DUE#{shard} sorted by their due day
(every one due on or before the run's day), people under SEEN#{day}#{shard} (every shard of the day).
A run is keyed by its scheduled time and keeps its position (day, step, last key) in a
SweepRunItem: a retry of a completed run does nothing, a retry or hand-off of an unfinished run
goes on from its position, and since every transition of an item is written with the item's
version condition and moves or removes its due key, and every notification is deduplicated by
(kind, lg, dedupe key, scheduled time), processing an item twice changes nothing more.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from furusato.capabilities import premium
from furusato.domain import sweeps as rules
from furusato.domain.errors import Conflict
from furusato.domain.lg import LocalGovernment, PremiumSettings
from furusato.domain.notifications import NotificationKind
from furusato.domain.premium import one_year_after, renewal_due
from furusato.domain.registration import Registration, prefecture_to_withdraw
from furusato.store import lgs, notifications, people
from furusato.store import sweeps as store

logger = Logger(service="furusato", child=True)

HandOff = Callable[[dict[str, Any]], None]
RemainingMs = Callable[[], int]
PAGE_SIZE = 100
DIRECTORY_PAGE = 200


class HandOffLimit(RuntimeError):
    """A run handed itself on too often: something loops. Fails the invocation (alarm)."""


@dataclass(frozen=True)
class Step:
    """One gsi2 partition to read on a day."""

    partition: str  # "DUE" | "SEEN"
    day: date  # DUE: everything due on or before it; SEEN: the last-access day being queried
    shard: int = 0  # DUE: which of the index's shards; SEEN: one of the day's people.SEEN_SHARDS


def run(
    request: rules.SweepRequest,
    *,
    remaining_ms: RemainingMs,
    hand_off: HandOff,
    margin_ms: int = rules.DEFAULT_MARGIN_MS,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Run (or go on with) the sweep of one scheduled time. When less than `margin_ms` is left,
    the position is saved and `hand_off` is called with the payload of the next invocation."""
    name, run_id = request.sweep, request.run_id
    current = store.get_run(name, run_id)
    if current is not None and current.status == "completed":
        logger.info("sweep run already completed", extra={"sweep": name, "run": run_id})
        return _summary(current, "already_completed")
    if current is None and request.resume:
        # A hand-off whose run record is gone (it never is): nothing to go on with.
        logger.warning("nothing to resume", extra={"sweep": name, "run": run_id})
        return {"sweep": name, "scheduled_time": run_id, "status": "nothing_to_resume"}
    # The inactivity sweep maps each government to its period: the directory, once per invocation.
    directory = _directory() if name == "inactivity" else None
    if current is None:
        current = store.create_run(name, run_id, _first_position(name, request.day, directory))
        if current.status == "completed":
            return _summary(current, "already_completed")
    sweeper: _Sweeper = _Renewal(request) if directory is None else _Inactivity(request, current, directory)
    return _drive(sweeper, current, request, remaining_ms, hand_off, margin_ms, page_size)


def _first_position(name: str, day: date, directory: dict[str, LocalGovernment] | None) -> dict[str, Any]:
    # The renewal reads everything due on or before D, at any distance: D alone covers the past.
    days = [day] if name == "renewal" else rules.days_to_sweep(store.last_completed_day(name), day)
    position: dict[str, Any] = {
        "from": days[0].isoformat(),
        "to": days[-1].isoformat(),
        "day": days[0].isoformat(),
        "step": 0,
        "start_key": None,
        "handoffs": 0,
        "deferred_from": None,
        "counts": {},
    }
    if directory is not None:
        # The periods in use, fixed for the run so that a resumed run walks the same steps.
        position["months"] = sorted({lg.settings.inactivity_months for lg in directory.values()})
    return position


def _directory() -> dict[str, LocalGovernment]:
    """Every onboarded government (~1,800), read once per invocation in pages."""
    found: dict[str, LocalGovernment] = {}
    cursor: str | None = None
    while True:
        page, cursor = lgs.list_directory(
            prefecture_code=None, kind=None, q=None, limit=DIRECTORY_PAGE, cursor=cursor
        )
        found.update({lg.lg_code: lg for lg in page})
        if cursor is None:
            return found


def _drive(
    sweeper: _Sweeper,
    current: store.SweepRun,
    request: rules.SweepRequest,
    remaining_ms: RemainingMs,
    hand_off: HandOff,
    margin_ms: int,
    page_size: int,
) -> dict[str, Any]:
    pos = current.position
    counts: Counter[str] = Counter(pos.get("counts") or {})
    last_day = date.fromisoformat(pos["to"])
    day = date.fromisoformat(pos["day"])
    step_index = int(pos.get("step") or 0)
    start_key = pos.get("start_key")

    def save(day: date, step_index: int, start_key: Any) -> None:
        pos.update(day=day.isoformat(), step=step_index, start_key=start_key, counts=dict(+counts))
        current.processed = sum(v for k, v in counts.items() if k != "read")
        store.save_run(current)

    def handing_off() -> bool:
        return remaining_ms() < margin_ms

    while day <= last_day:
        steps = sweeper.steps(day)
        while step_index < len(steps):
            step = steps[step_index]
            while True:
                if handing_off():
                    save(day, step_index, start_key)
                    return _hand_off(current, request, hand_off)
                page, next_key = sweeper.page(step, start_key, page_size)
                counts["read"] += len(page)
                for item in page:
                    if handing_off():
                        save(day, step_index, start_key)
                        return _hand_off(current, request, hand_off)
                    result = sweeper.process(item, step, day)
                    outcomes = [result] if isinstance(result, str) else result
                    counts.update(outcomes)
                    if "deferred" in outcomes and not pos.get("deferred_from"):
                        pos["deferred_from"] = day.isoformat()
                    start_key = item.key
                start_key = next_key
                if next_key is None:
                    break
                save(day, step_index, start_key)
            step_index += 1
            start_key = None
        day += timedelta(days=1)
        step_index = 0
        save(day, 0, None)

    # A day with an item that could not be written (it kept changing under the sweep) is swept
    # again by the next run: the state stops before it.
    deferred = pos.get("deferred_from")
    completed_through = date.fromisoformat(deferred) - timedelta(days=1) if deferred else last_day
    store.advance_last_completed_day(request.sweep, completed_through)
    current.status = "completed"
    pos.update(day=last_day.isoformat(), step=0, start_key=None, counts=dict(+counts))
    current.processed = sum(v for k, v in counts.items() if k != "read")
    store.save_run(current)
    summary = _summary(current, "completed")
    logger.info("sweep run completed", extra=summary)
    return summary


def _hand_off(current: store.SweepRun, request: rules.SweepRequest, hand_off: HandOff) -> dict[str, Any]:
    handoffs = int(current.position.get("handoffs") or 0) + 1
    if handoffs > rules.MAX_HANDOFFS:
        raise HandOffLimit(f"sweep {request.sweep} {request.run_id} handed off {handoffs - 1} times")
    current.position["handoffs"] = handoffs
    store.save_run(current)
    hand_off(request.payload(resume=True))
    summary = _summary(current, "handed_off")
    logger.info("sweep run handed on", extra=summary)
    return summary


def _summary(current: store.SweepRun, status: str) -> dict[str, Any]:
    pos = current.position
    return {
        "sweep": current.name,
        "scheduled_time": current.run_id,
        "status": status,
        "days": {"from": pos.get("from"), "to": pos.get("to")},
        "position": {"day": pos.get("day"), "step": pos.get("step")},
        "handoffs": pos.get("handoffs", 0),
        "counts": dict(sorted((pos.get("counts") or {}).items())),
    }


class _Sweeper(ABC):
    """One sweep's steps, pages and per-item transition. `process` returns the outcome's name."""

    def __init__(self, request: rules.SweepRequest) -> None:
        self.request = request
        self.today = request.day  # the business day D (JST date of the scheduled time)
        self.at: datetime = request.scheduled_time

    @abstractmethod
    def steps(self, day: date) -> list[Step]:
        """The index partitions to read for one business day."""

    @abstractmethod
    def page(self, step: Step, start_key: Any, limit: int) -> tuple[list[Any], Any]:
        """One page of a step's items and the key to continue from."""

    @abstractmethod
    def process(self, item: Any, step: Step, day: date) -> str | list[str]:
        """Apply the transition(s) an item is due for; the outcomes' names."""

    def notify(
        self, sub: str, kind: NotificationKind, lg_code: str, message: rules.Message, dedupe_key: str
    ) -> None:
        notifications.notify(
            sub,
            kind,
            title=message.title,
            body=message.body,
            lg_code=lg_code,
            dedupe_key=dedupe_key,
            at=self.at,
        )


# --- renewal (rule 15) --------------------------------------------------------------------------


class _Renewal(_Sweeper):
    """30 days before valid_until a notice; on valid_until a fresh judgement: renewed for a year,
    pending_review where auto-approval is off, or back to basic (not deleted) with the reason."""

    def __init__(self, request: rules.SweepRequest) -> None:
        super().__init__(request)
        self._lgs: dict[str, LocalGovernment | None] = {}

    def lg(self, lg_code: str) -> LocalGovernment | None:
        if lg_code not in self._lgs:
            self._lgs[lg_code] = lgs.get(lg_code)
        return self._lgs[lg_code]

    def steps(self, day: date) -> list[Step]:
        return [Step("DUE", day, shard) for shard in range(people.DUE_SHARDS)]

    def page(self, step: Step, start_key: Any, limit: int) -> tuple[list[Any], Any]:
        return store.due_page(step.shard, step.day, start_key, limit)

    def process(self, item: Any, step: Step, day: date) -> list[str]:
        """Every transition the registration is due for by D, in order: a run far behind judges
        a year's renewal and then, when the new year's notice day has passed too, goes on. Each
        transition moves the due key past D or removes it, so a later page never meets it again."""
        due: store.DueRegistration = item
        lg_code = due.registration.lg_code
        holder = store.record_of(due)  # the index item's registration and version
        record: people.PersonRecord | None = None  # the whole partition, once a judgement needs it
        outcomes: list[str] = []
        conflicts = 0
        while True:
            reg = holder.registrations.get(lg_code)
            due_on = _due_day(reg) if reg else None
            if reg is None or due_on is None or due_on > self.today:
                return outcomes or ["skipped"]  # no longer due (it moved on, or the index lagged)
            until = date.fromisoformat(reg.premium_valid_until or "")
            if until <= self.today and record is None:
                holder = record = people.load(due.sub)
                continue
            try:
                if self.today < until:
                    outcomes.append(self.notice(holder, reg, until))
                else:
                    assert record is not None
                    # Past valid_until, the notice has no use: the judgement itself is the news.
                    outcomes.append(self.judge(record, reg, until))
                    if outcomes[-1] == "skipped":
                        return outcomes  # its government is gone: nothing to judge with
            except Conflict as exc:
                if exc.code != "CONCURRENT_UPDATE":
                    raise
                conflicts += 1
                if conflicts >= 2:
                    logger.warning("registration kept changing; deferred", extra={"lg_code": lg_code})
                    return [*outcomes, "deferred"]
                logger.info("registration changed during the sweep", extra={"lg_code": lg_code})
                holder = record = people.load(due.sub)  # read it again and decide again, once

    def notice(self, record: people.PersonRecord, reg: Registration, until: date) -> str:
        lg = self.lg(reg.lg_code)
        name = lg.name if lg else reg.lg_code
        # The notice first: a crash between the two leaves the item due, and the retry finds the
        # notification already there (same scheduled time).
        self.notify(
            record.sub,
            NotificationKind.RENEWAL_DUE,
            reg.lg_code,
            rules.renewal_notice(name, until),
            f"{reg.lg_code}:{until}",
        )
        people.save(record, [replace(reg, notice_sent_for=until.isoformat())])
        return "notices"

    def judge(self, record: people.PersonRecord, reg: Registration, until: date) -> str:
        lg = self.lg(reg.lg_code)
        if lg is None:
            logger.error("due registration of a government that is not onboarded", extra={"lg": reg.lg_code})
            return "skipped"
        try:
            # Rule 10: a renewal judges the year that valid_until closes, whenever the run comes.
            judgement = premium.judge_record(record, lg, until, renewal=True)
        except Conflict as refusal:
            if refusal.code == "CONCURRENT_UPDATE":
                raise
            downgraded = replace(
                reg,
                plan="basic",
                status="active",
                premium_valid_until=None,
                notice_sent_for=None,
                long_term_stayer=False,
                decision_reason=rules.refusal_reason(refusal),
            )
            message = rules.downgraded_notice(lg.name, until, refusal)
            self.notify(record.sub, NotificationKind.DOWNGRADED, lg.lg_code, message, f"{lg.lg_code}:{until}")
            people.save(record, [downgraded])
            return "downgraded"
        if judgement.status == "active":
            new_until = one_year_after(until)  # continuous: a year from the old expiry
            renewed = replace(
                reg,
                premium_valid_until=new_until.isoformat(),
                long_term_stayer=judgement.long_term_stayer,
                notice_sent_for=None,
                decision_reason=None,
            )
            message = rules.renewed_notice(lg.name, new_until)
            self.notify(record.sub, NotificationKind.RENEWED, lg.lg_code, message, f"{lg.lg_code}:{until}")
            people.save(record, [renewed])
            return "renewed"
        # pending_review: a coordinator decides; the old valid_until stays, so that an approval
        # continues the year from it (premium stays continuous, as with auto-approval).
        waiting = replace(premium.granted(reg, judgement), premium_valid_until=reg.premium_valid_until)
        message = rules.renewal_review_notice(lg.name, until)
        self.notify(
            record.sub, NotificationKind.RENEWAL_DUE, lg.lg_code, message, f"{lg.lg_code}:{until}:review"
        )
        people.save(record, [waiting])
        return "pending_review"


def _due_day(reg: Registration) -> date | None:
    return renewal_due(reg.plan, reg.status, reg.premium_valid_until, reg.notice_sent_for)


# --- inactivity (rule 6) ------------------------------------------------------------------------


class _Inactivity(_Sweeper):
    """Basic registrations of people without access for their government's inactivity_months
    lapse, with a warning one month before; the automatic prefecture registration follows its
    last municipality (rule 3). Premium registrations never lapse."""

    def __init__(
        self, request: rules.SweepRequest, current: store.SweepRun, directory: dict[str, LocalGovernment]
    ) -> None:
        super().__init__(request)
        self.months: list[int] = [int(m) for m in current.position.get("months") or []]
        self.directory = directory

    def steps(self, day: date) -> list[Step]:
        return [
            Step("SEEN", seen, shard)
            for seen in rules.seen_days_to_query(day, self.months)
            for shard in range(people.SEEN_SHARDS)
        ]

    def page(self, step: Step, start_key: Any, limit: int) -> tuple[list[Any], Any]:
        return store.seen_page(step.day, step.shard, start_key, limit)

    def process(self, item: Any, step: Step, day: date) -> str:
        person: store.SeenPerson = item
        seen = step.day
        for _attempt in range(2):
            record = people.load(person.sub)
            try:
                return self.evaluate(record, seen, day)
            except Conflict as exc:
                if exc.code != "CONCURRENT_UPDATE":
                    raise
                # Judge again on fresh data; the first attempt may have re-indexed the person.
                seen = date.fromisoformat(record.last_seen) if record.last_seen else seen
        logger.warning("person kept changing; deferred to the next run")
        return "deferred"

    def evaluate(self, record: people.PersonRecord, seen: date, day: date) -> str:
        if not record.exists or record.last_seen != seen.isoformat():
            return "skipped"  # came back since the index was read: the new SEEN key holds them
        access = rules.last_access(record.last_seen, record.participations)
        assert access is not None
        outcome = "unchanged"
        if access > seen:
            # A check-in after the last app access: the SEEN key is stale. Move it to the real day.
            store.reindex_seen(record.sub, seen.isoformat(), access)
            record.last_seen = access.isoformat()
            outcome = "reindexed"
        merged = dict(record.registrations)
        changed: dict[str, Registration] = {}
        messages: list[tuple[NotificationKind, str, rules.Message, str]] = []
        for code, reg in sorted(record.registrations.items()):
            if reg.plan != "basic" or reg.status != "active":
                continue  # premium never lapses; pending, lapsed and withdrawn have nothing to do
            if rules.held_by_municipality(reg, record.registrations.values()):
                continue  # an automatic prefecture registration ends with its municipalities (rule 3)
            lg = self.directory.get(code)
            months = (lg.settings if lg else PremiumSettings()).inactivity_months
            name = lg.name if lg else code
            lapses_on = rules.lapse_day(access, months)
            warn_on = rules.warning_day(access, months)
            if lapses_on <= day:
                changed[code] = merged[code] = _lapsed(reg)
                messages.append(
                    (NotificationKind.LAPSED, code, rules.lapsed_notice(name), f"{code}:{lapses_on}")
                )
            elif warn_on is not None and warn_on <= day and reg.notice_sent_for != lapses_on.isoformat():
                # The warning is marked on the registration, so a re-run of the day sends none.
                changed[code] = merged[code] = replace(reg, notice_sent_for=lapses_on.isoformat())
                # Rule 6: the automatic prefecture registration ends with it: warn about both.
                following = rules.prefecture_following(reg, record.registrations.values())
                pref_lg = self.directory.get(following) if following else None
                pref_name = (pref_lg.name if pref_lg else following) if following else None
                messages.append(
                    (
                        NotificationKind.LAPSE_WARNING,
                        code,
                        rules.lapse_warning_notice(name, lapses_on, pref_name),
                        f"{code}:{lapses_on}",
                    )
                )
        # Rule 3: the automatic prefecture registration ends with the last municipality's.
        for code in [c for c, r in changed.items() if r.status == "lapsed"]:
            prefecture = prefecture_to_withdraw(code, merged.values())
            if prefecture is None or merged[prefecture].plan != "basic":
                continue
            changed[prefecture] = merged[prefecture] = _lapsed(merged[prefecture])
            lg = self.directory.get(prefecture)
            message = rules.lapsed_notice(lg.name if lg else prefecture)
            messages.append((NotificationKind.LAPSED, prefecture, message, f"{prefecture}:{day}"))
        if not changed:
            return outcome
        for kind, code, message, dedupe_key in messages:
            self.notify(record.sub, kind, code, message, dedupe_key)
        people.save(record, list(changed.values()))
        return "lapsed" if any(r.status == "lapsed" for r in changed.values()) else "warned"


def _lapsed(reg: Registration) -> Registration:
    """A lapse is an end, as a withdrawal is: the row stays (status lapsed), the survey answers
    (personal data) go."""
    return replace(reg, status="lapsed", survey_answers={}, notice_sent_for=None)
