"""Copies of an activity's description and designation in its participation records.

Records carry the activity's name, times, place and designation so that progress, history and
the sweeps read no activity. Editing an activity does not touch its records inside the request
(a PATCH is a few round trips, whatever the roster's size): this consumer of the table's stream
(docs/streams.md) brings the copies in line afterwards.

- An activity item changed (MODIFY) in a copied field: the copy starts as a chain of steps
  (`activity_copy` items, one put each, `attribute_not_exists`). Each step's stream record
  rewrites the roster's differing records from the step's cursor, **paced** at COPY_RATE_PER_S
  (every rewrite also rewrites the record's entry on the roster index, the partition that
  check-ins write too), for at most one slice (SLICE_S, and never closer than RESERVE_S to the
  streams function's timeout), then puts the next step with the cursor reached: the work hands
  on before the timeout and continues in the next invocation. A record already equal is not
  written, so a redelivered step (or one that failed after N records) resumes without writing a
  record twice, and its next step, already put, is not put again: two deliveries converge on one
  chain and one state (effects idempotent by themselves: no marker needed).
- A step stops its chain when the activity's copied fields are no longer those of the change
  that started it (checked before each page): the newer change started its own chain, so one
  chain at a time writes an activity's roster, the pacing holds, and an older copy stops before
  the newer chain's first write.
- A participation written (INSERT): a check-in container may have recorded it from its copy of
  the activity taken before a change (docs/checkin.md, "Copies of an activity"); it is compared
  with the activity as stored now (one projected, strongly consistent read) and corrected.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from furusato import streams
from furusato.domain.activity import Activity
from furusato.domain.checkin import ParticipationRecord
from furusato.store import activities as activity_store
from furusato.store import participations
from furusato.streams import Change, Consumer

ACTIVITY_TYPES = frozenset({"activity", "backfill_activity"})
STEP_TYPE = "activity_copy"
# Fields of an activity item that records copy (stored names).
COPIED = ("name", "starts_at", "ends_at", "place", "designated")
# Records rewritten per second for one activity. Each rewrite also rewrites the record's entry
# on the roster index (projection ALL, key unchanged: 1 write unit for ~0.7 KB), the partition
# every check-in of the activity writes too: 400 + 300 check-ins a second sustained = 700 of its
# 1,000 WU/s (docs/capacity.md). A throttled index would throttle the check-ins' writes as well.
COPY_RATE_PER_S = 400
# Record updates in flight at once (DynamoDB latency bounds them, not CPU).
WRITERS = 8
# Roster entries read per Query page; the activity is read again before each page (1 RU).
PAGE = 100
# One step copies for at most this long (16,000 records at the pace), and stops this long before
# the invocation's end: room for the rest of its batch, such as a roster export (~36 s at 50,000 rows of the
# streams function's 120 s, docs/benchmarks.md), which does not watch the time.
SLICE_S = 40.0
RESERVE_S = 50.0

# The clock of the pacing, replaced in tests (no real sleeps there).
monotonic = time.monotonic
sleep = time.sleep


def copied_fields_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a change of an activity item (decoded stream images) touched a copied field."""
    return old is None or any(old.get(f) != new.get(f) for f in COPIED)


def copy_of_image(image: dict[str, Any]) -> str:
    """The copied fields of an activity item's stream image, as one comparable string."""
    fields = [image.get("name"), image.get("starts_at"), image.get("ends_at"), image.get("place")]
    return json.dumps([*fields, bool(image.get("designated"))], ensure_ascii=False)


def copy_of(activity: Activity) -> str:
    """The same string for an activity as stored now (times are stored as their isoformat)."""
    fields = [activity.name, activity.starts_at.isoformat(), activity.ends_at.isoformat(), activity.place]
    return json.dumps([*fields, activity.designated], ensure_ascii=False)


def differs(record: dict[str, Any], activity: Activity) -> bool:
    """Whether a participation item (decoded image) carries another copy than the activity's."""
    return (
        bool(record.get("designated")) != activity.designated
        or record.get("activity_name") != activity.name
        or record.get("activity_starts_at") != activity.starts_at.isoformat()
        or record.get("activity_ends_at") != activity.ends_at.isoformat()
        or record.get("place") != activity.place
    )


class Pacer:
    """At most `rate` records a second from its start: it sleeps before a group of writes that
    would run ahead of the rate. Time spent otherwise (a page read, a slow write) is made up for
    by one group at most, so no second sees more than rate + `burst` writes."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.start = monotonic()
        self.granted = 0.0

    def elapsed(self) -> float:
        return monotonic() - self.start

    def take(self, n: int) -> None:
        elapsed = self.elapsed()
        self.granted = max(self.granted, elapsed * self.rate - self.burst)
        ahead = self.granted / self.rate - elapsed
        if ahead > 0:
            sleep(ahead)
        self.granted += n


def copy_slice(activity: Activity, cursor: str | None, budget_s: float) -> tuple[str | None, int]:
    """Rewrite the roster's records that differ from the activity, from `cursor`, paced, page by
    page until `budget_s` is spent (at least one page). Returns the cursor to go on from (None:
    the roster is done, or the activity changed again) and the records rewritten."""
    pacer = Pacer(COPY_RATE_PER_S, WRITERS)
    written = pages = 0
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        while True:
            if pages and not _still_current(activity):
                # Changed again: stop within a page, before this copy overwrites the newer one
                # the newer change's chain writes (it starts a stream delivery or two later).
                return None, written
            entries, cursor = participations.roster(activity.activity_id, limit=PAGE, cursor=cursor)
            pages += 1
            stale = [
                e.sub
                for e in entries
                if isinstance(e, ParticipationRecord) and participations.copy_differs(e, activity)
            ]
            for i in range(0, len(stale), WRITERS):
                group = stale[i : i + WRITERS]
                pacer.take(len(group))
                written += sum(pool.map(lambda sub: participations.refresh_snapshot(sub, activity), group))
            if cursor is None or pacer.elapsed() >= budget_s:
                return cursor, written


def _still_current(activity: Activity) -> bool:
    now = activity_store.get_activity(activity.lg_code, activity.activity_id, consistent=True)
    return now is not None and copy_of(now) == copy_of(activity)


def run_step(step: dict[str, Any]) -> int:
    """One step of a copy (a decoded `activity_copy` image): a slice, then the next step.
    Returns the records rewritten."""
    lg_code, activity_id = str(step["lg_code"]), str(step["activity_id"])
    activity = activity_store.get_activity(lg_code, activity_id, consistent=True)
    if activity is None or copy_of(activity) != step["copy_of"]:
        return 0  # removed, or changed again: the newer change's own chain copies it
    budget = min(SLICE_S, streams.time_left() - RESERVE_S)
    cursor, written = copy_slice(activity, step.get("cursor"), budget)
    if cursor is not None:
        participations.put_copy_step(
            lg_code, activity_id, str(step["run"]), int(step["step"]) + 1, str(step["copy_of"]), cursor
        )
    return written


class ActivityCopies(Consumer):
    name = "activity-copies"
    item_types: ClassVar[frozenset[str]] = frozenset({*ACTIVITY_TYPES, STEP_TYPE, "participation"})

    def apply(self, change: Change) -> None:
        new = change.new
        if new is None:
            return  # a removal: nothing to copy
        kind = new.get("type")
        if kind in ACTIVITY_TYPES:
            if change.event_name == "MODIFY" and copied_fields_changed(change.old, new):
                participations.put_copy_step(
                    str(new["lg_code"]), str(new["activity_id"]), change.event_id, 0, copy_of_image(new), None
                )
            return
        if change.event_name != "INSERT":
            return  # this consumer's own rewrites (MODIFY) come back: nothing more to do
        if kind == STEP_TYPE:
            run_step(new)
            return
        activity = activity_store.get_activity(str(new["lg_code"]), str(new["activity_id"]), consistent=True)
        if activity is not None and differs(new, activity):
            participations.refresh_snapshot(str(new["sub"]), activity)
