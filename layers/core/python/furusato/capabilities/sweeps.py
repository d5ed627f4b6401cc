"""The scheduled sweeps (docs/sweeps.md): the premium renewal (rule 15) and the lapse of inactive
basic registrations (rule 6).

Both read only what is due, from gsi2, where items wait in a small fixed set of shard partitions
sorted by their due day: premium registrations under DUE#{shard}, people with an active basic
registration under IDLE#{shard}. A run reads every item due on or before its day, oldest first,
at any distance: a late first run, an outage or a moved clock leave nothing orphaned.
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
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger

from furusato.capabilities import premium
from furusato.domain import sweeps as rules
from furusato.domain.errors import Conflict
from furusato.domain.lg import Listing, LocalGovernment, PremiumSettings
from furusato.domain.notifications import NotificationKind
from furusato.domain.premium import one_year_after, renewal_due
from furusato.domain.registration import Registration, prefecture_to_withdraw
from furusato.store import lgs, notifications, people
from furusato.store import sweeps as store
from furusato.views.sweep import missing_run_view, run_view

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

    partition: str  # "DUE" | "IDLE"
    day: date  # everything due on or before it
    shard: int = 0  # which of the index's shards


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
        return run_view(current, "already_completed")
    if current is None and request.resume:
        # A hand-off whose run record is gone (it never is): nothing to go on with.
        logger.warning("nothing to resume", extra={"sweep": name, "run": run_id})
        return missing_run_view(name, run_id)
    # The inactivity sweep maps each government to its period: the directory, once per invocation.
    directory = _directory() if name == "inactivity" else None
    if current is None:
        current = store.create_run(name, run_id, _first_position(request.day))
        if current.status == "completed":
            return run_view(current, "already_completed")
    sweeper: _Sweeper = _Renewal(request) if directory is None else _Inactivity(request, directory)
    return _drive(sweeper, current, request, remaining_ms, hand_off, margin_ms, page_size)


def _first_position(day: date) -> dict[str, Any]:
    # Each index is sorted by due day and read with `<= D`: the day D alone covers the past.
    return {
        "from": day.isoformat(),
        "to": day.isoformat(),
        "day": day.isoformat(),
        "step": 0,
        "start_key": None,
        "handoffs": 0,
        "counts": {},
    }


def _directory() -> dict[str, Listing]:
    """Every onboarded government (~1,800), read once per invocation in pages."""
    found: dict[str, Listing] = {}
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
    day = date.fromisoformat(pos["day"])
    step_index = int(pos.get("step") or 0)
    start_key = pos.get("start_key")

    def save(day: date, step_index: int, start_key: Any) -> None:
        pos.update(day=day.isoformat(), step=step_index, start_key=start_key, counts=dict(+counts))
        current.processed = sum(v for k, v in counts.items() if k != "read")
        store.save_run(current)

    def handing_off() -> bool:
        return remaining_ms() < margin_ms

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
                counts.update([result] if isinstance(result, str) else result)
                start_key = item.key
            start_key = next_key
            if next_key is None:
                break
            save(day, step_index, start_key)
        step_index += 1
        start_key = None
        save(day, step_index, None)

    # An item that could not be written (it kept changing under the sweep) keeps its due key, so
    # the next run reads it again.
    current.status = "completed"
    pos.update(step=0, start_key=None, counts=dict(+counts))
    current.processed = sum(v for k, v in counts.items() if k != "read")
    store.save_run(current)
    summary = run_view(current, "completed")
    logger.info("sweep run completed", extra=summary)
    return summary


def _hand_off(current: store.SweepRun, request: rules.SweepRequest, hand_off: HandOff) -> dict[str, Any]:
    handoffs = int(current.position.get("handoffs") or 0) + 1
    if handoffs > rules.MAX_HANDOFFS:
        raise HandOffLimit(f"sweep {request.sweep} {request.run_id} handed off {handoffs - 1} times")
    current.position["handoffs"] = handoffs
    store.save_run(current)
    hand_off(request.payload(resume=True))
    summary = run_view(current, "handed_off")
    logger.info("sweep run handed on", extra=summary)
    return summary


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

    def __init__(self, request: rules.SweepRequest, directory: dict[str, Listing]) -> None:
        super().__init__(request)
        self.directory = directory

    def steps(self, day: date) -> list[Step]:
        return [Step("IDLE", day, shard) for shard in range(people.IDLE_SHARDS)]

    def page(self, step: Step, start_key: Any, limit: int) -> tuple[list[Any], Any]:
        return store.idle_page(step.shard, step.day, start_key, limit)

    def process(self, item: Any, step: Step, day: date) -> str:
        person: store.IdlePerson = item
        expected: date | None = person.due
        for _attempt in range(2):
            record = people.load(person.sub)
            try:
                return self.evaluate(record, expected, day)
            except Conflict as exc:
                if exc.code != "CONCURRENT_UPDATE":
                    raise
                # Judge again on fresh data, wherever the change that won put the due key.
                expected = None
        logger.warning("person kept changing; deferred to the next run")
        return "deferred"

    def months(self, code: str) -> int:
        lg = self.directory.get(code)
        return lg.inactivity_months if lg else PremiumSettings().inactivity_months

    def evaluate(self, record: people.PersonRecord, expected: date | None, day: date) -> str:
        """Every transition due by D, in one visit; the write moves the due key past D (or out of
        the index), so a later page of the same run never meets the person again. `expected` is
        the due day the index showed (None: whatever the record holds now)."""
        if not record.exists or record.idle_due is None:
            return "skipped"
        due = date.fromisoformat(record.idle_due)
        if (expected is not None and due != expected) or due > day:
            return "skipped"  # the key moved since the index was read: the new key holds them
        access = rules.last_access(record.last_seen, record.participations)
        if access is None:
            store.move_idle_due(record.sub, due, None)
            return "skipped"
        merged = dict(record.registrations)
        changed: dict[str, Registration] = {}
        messages: list[tuple[NotificationKind, str, rules.Message, str]] = []
        for code, reg in sorted(record.registrations.items()):
            if reg.plan != "basic" or reg.status != "active":
                continue  # premium never lapses; pending, lapsed and withdrawn have nothing to do
            months = self.months(code)
            if reg.inactivity_months != months:
                # The government's period now: the due key is computed with it from here on.
                reg = changed[code] = merged[code] = replace(reg, inactivity_months=months)
            if rules.held_by_municipality(reg, record.registrations.values()):
                continue  # an automatic prefecture registration ends with its municipalities (rule 3)
            lg = self.directory.get(code)
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
            # Nothing due by D after all: a check-in moved the last access later (it leaves the
            # key early, never late). Move the key to the real day.
            store.move_idle_due(record.sub, due, people.idle_due_of(record))
            return "reindexed"
        for kind, code, message, dedupe_key in messages:
            self.notify(record.sub, kind, code, message, dedupe_key)
        people.save(record, list(changed.values()))  # moves the due key with the registrations
        kinds = {kind for kind, *_ in messages}
        return "lapsed" if "lapsed" in kinds else "warned" if kinds else "reindexed"


def _lapsed(reg: Registration) -> Registration:
    """A lapse is an end, as a withdrawal is: the row stays (status lapsed), the survey answers
    (personal data) go."""
    return replace(reg, status="lapsed", survey_answers={}, notice_sent_for=None)
