"""Copies of an activity's description and designation in its participation records.

Records carry the activity's name, times, place and designation so that progress, history and
the sweeps read no activity. Editing an activity does not touch its records inside the request
(a PATCH is a few round trips, whatever the roster's size): this consumer of the table's stream
brings the copies in line afterwards.

- An activity item changed (MODIFY) in a copied field: every record of its roster that differs
  is rewritten (`converge`). A record already equal is skipped, so a redelivered or interrupted
  batch resumes where it stopped, and two deliveries converge on the same state.
- A participation written (INSERT): a check-in container may have recorded it from its copy of
  the activity taken before a change (docs/checkin.md, "Copies of an activity"); it is compared
  with the activity as stored now and corrected. The activities of one batch are read together.

`on_records` takes the records of a DynamoDB stream batch (the Lambda event's `Records`) and
returns the ones that failed, for a partial-batch response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from furusato.domain.activity import Activity
from furusato.store import activities as activity_store
from furusato.store import participations

logger = Logger(service="furusato", child=True)

ACTIVITY_TYPES = frozenset({"activity", "backfill_activity"})
# Fields of an activity item that records copy (stored names).
COPIED = ("name", "starts_at", "ends_at", "place", "designated")


def _value(image: dict[str, Any], name: str) -> Any:
    cell = image.get(name)
    if not cell:
        return None
    return next(iter(cell.values()))


def copied_fields_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether a change of an activity item (stream images) touched a field records copy."""
    return old is None or any(_value(old, f) != _value(new, f) for f in COPIED)


def converge(activity: Activity) -> int:
    """Rewrite the records of the activity's roster that differ from it; how many changed."""
    return participations.refresh_snapshots(activity)


def _differs(image: dict[str, Any], activity: Activity) -> bool:
    return (
        _value(image, "designated") != activity.designated
        or _value(image, "activity_name") != activity.name
        or _value(image, "activity_starts_at") != activity.starts_at.isoformat()
        or _value(image, "activity_ends_at") != activity.ends_at.isoformat()
        or _value(image, "place") != activity.place
    )


def on_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply one stream batch; the records that failed (to be delivered again)."""
    changed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    written: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        change = record.get("dynamodb") or {}
        new = change.get("NewImage")
        if not new:
            continue  # a removal: nothing to copy
        kind = _value(new, "type")
        key = (str(_value(new, "lg_code")), str(_value(new, "activity_id")))
        if kind in ACTIVITY_TYPES and record.get("eventName") == "MODIFY":
            if copied_fields_changed(change.get("OldImage"), new):
                changed.setdefault(key, []).append(record)
        elif kind == "participation" and record.get("eventName") == "INSERT":
            written.setdefault(key, []).append(record)
    failed: list[dict[str, Any]] = []
    for (lg_code, activity_id), batch in changed.items():
        try:
            activity = activity_store.get_activity(lg_code, activity_id)
            if activity is not None:
                converge(activity)
        except Exception:
            logger.exception("activity copies failed", extra={"activity_id": activity_id})
            failed += batch
    if written:
        failed += _correct_written(written, skip=set(changed))
    return failed


def _correct_written(
    written: dict[tuple[str, str], list[dict[str, Any]]], *, skip: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Correct new records written from an outdated copy (an activity converged in this batch
    already covers its records)."""
    wanted = [key for key in written if key not in set(skip)]
    failed: list[dict[str, Any]] = []
    try:
        current = activity_store.get_many(wanted)
    except Exception:
        logger.exception("activity copies: activities unreadable")
        return [r for key in wanted for r in written[key]]
    for key in wanted:
        activity = current.get(key)
        if activity is None:
            continue
        for record in written[key]:
            image = record["dynamodb"]["NewImage"]
            if not _differs(image, activity):
                continue
            try:
                participations.refresh_snapshot(str(_value(image, "sub")), activity)
            except Exception:
                logger.exception("activity copies failed", extra={"activity_id": key[1]})
                failed.append(record)
    return failed
