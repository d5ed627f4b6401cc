"""Copies of an activity's description and designation in its participation records.

Records carry the activity's name, times, place and designation so that progress, history and
the sweeps read no activity. Editing an activity does not touch its records inside the request
(a PATCH is a few round trips, whatever the roster's size): this consumer of the table's stream
(docs/streams.md) brings the copies in line afterwards.

- An activity item changed (MODIFY) in a copied field: every record of its roster that differs
  is rewritten (`converge`, WRITERS in flight). A record already equal is skipped, so a
  redelivered or interrupted change resumes where it stopped, and two deliveries converge on
  the same state (effects idempotent by themselves: no marker needed).
- A participation written (INSERT): a check-in container may have recorded it from its copy of
  the activity taken before a change (docs/checkin.md, "Copies of an activity"); it is compared
  with the activity as stored now (one projected, strongly consistent read) and corrected.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from furusato.domain.activity import Activity
from furusato.store import activities as activity_store
from furusato.store import participations
from furusato.streams import Change, Consumer

ACTIVITY_TYPES = frozenset({"activity", "backfill_activity"})
# Fields of an activity item that records copy (stored names).
COPIED = ("name", "starts_at", "ends_at", "place", "designated")
# Record updates of one roster in flight at once (DynamoDB latency bounds them, not CPU).
WRITERS = 8


def copied_fields_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a change of an activity item (decoded stream images) touched a copied field."""
    return old is None or any(old.get(f) != new.get(f) for f in COPIED)


def differs(record: dict[str, Any], activity: Activity) -> bool:
    """Whether a participation item (decoded image) carries another copy than the activity's."""
    return (
        bool(record.get("designated")) != activity.designated
        or record.get("activity_name") != activity.name
        or record.get("activity_starts_at") != activity.starts_at.isoformat()
        or record.get("activity_ends_at") != activity.ends_at.isoformat()
        or record.get("place") != activity.place
    )


def converge(activity: Activity) -> int:
    """Rewrite the records of the activity's roster that differ from it; how many changed."""
    stale = [
        r
        for r in participations.whole_roster(activity.activity_id)
        if participations.copy_differs(r, activity)
    ]
    if len(stale) <= 1:
        for r in stale:
            participations.refresh_snapshot(r.sub, activity)
        return len(stale)
    with ThreadPoolExecutor(max_workers=min(WRITERS, len(stale))) as pool:
        for _ in pool.map(lambda r: participations.refresh_snapshot(r.sub, activity), stale):
            pass
    return len(stale)


class ActivityCopies(Consumer):
    name = "activity-copies"
    item_types: ClassVar[frozenset[str]] = frozenset({*ACTIVITY_TYPES, "participation"})

    def apply(self, change: Change) -> None:
        new = change.new
        if new is None:
            return  # a removal: nothing to copy
        if new.get("type") in ACTIVITY_TYPES:
            if change.event_name == "MODIFY" and copied_fields_changed(change.old, new):
                activity = activity_store.get_activity(str(new["lg_code"]), str(new["activity_id"]))
                if activity is not None:
                    converge(activity)
            return
        if change.event_name != "INSERT":
            return  # this consumer's own rewrites (MODIFY) come back: nothing more to do
        activity = activity_store.get_activity(str(new["lg_code"]), str(new["activity_id"]), consistent=True)
        if activity is not None and differs(new, activity):
            participations.refresh_snapshot(str(new["sub"]), activity)
