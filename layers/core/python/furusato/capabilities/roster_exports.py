"""Roster exports as asynchronous jobs: a staff request creates the job (202); the table's
stream hands the new job to `RosterExports` in the streams function, which writes the workbook
page by page (`rosters.write_roster`, streamed into a temporary file: flat memory) into S3, with
its progress on the job; staff read the job and, once completed, get a short-lived download link.

Its cost is the roster's reads, not the workbook: see docs/benchmarks.md, "Roster export jobs",
for the measured CPU, memory and calls of 50,000 rows against the streams function's limits; an
API request never builds a large workbook. A redelivered job is written again under the same
key (the same rows, the same object): it converges; a completed job is not redone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any, ClassVar

from aws_lambda_powertools import Logger

from furusato import audit, clock
from furusato.capabilities.activities import roster_lines
from furusato.domain.activity import Activity, Actor, require_visible
from furusato.domain.errors import NotFound
from furusato.store import activities as activity_store
from furusato.store import exports, participations
from furusato.store.ids import new_id
from furusato.streams import Change, Consumer
from furusato.views.participation import roster_export_view

logger = Logger(service="furusato", child=True)

PAGE = 500


def _with_download(job: exports.RosterExport) -> dict[str, Any]:
    """The job's view, with its download link signed once it is completed."""
    download = None
    if job.status == "completed":
        url, expires = exports.download_link(job.object_key, f"participants-{job.activity_id}.xlsx")
        download = (url, clock.iso(expires))
    return roster_export_view(job, download)


def start(actor: Actor, activity_id: str) -> dict[str, Any]:
    """POST …/participants/exports: the job, queued. The staff access to personal data is
    recorded now (who asked for which roster)."""
    found, count = activity_store.get_with_count(actor.lg_code, activity_id)
    activity = require_visible(actor, found)
    now = clock.iso(clock.now())
    export_id = new_id("exp")
    job = exports.RosterExport(
        export_id=export_id,
        lg_code=actor.lg_code,
        activity_id=activity.activity_id,
        status="queued",
        rows_total=count,
        rows_written=0,
        object_key=exports.object_key(actor.lg_code, activity.activity_id, export_id),
        created_by=actor.sub,
        created_at=now,
        updated_at=now,
    )
    exports.create(job)
    audit.staff_access(
        actor,
        actor.lg_code,
        action="export",
        resource=f"activities/{activity_id}/participants.xlsx",
        purpose="activity roster",
        records=count,
    )
    return _with_download(job)


def get(actor: Actor, activity_id: str, export_id: str) -> dict[str, Any]:
    require_visible(actor, activity_store.get_activity(actor.lg_code, activity_id))
    job = exports.get(actor.lg_code, export_id)
    if job is None or job.activity_id != activity_id:
        raise NotFound("export not found")
    return _with_download(job)


def _pages(activity: Activity, job: exports.RosterExport) -> Iterator[list[dict[str, Any]]]:
    """The roster in pages of PAGE lines, names read per page; progress after each page."""
    written = 0
    cursor: str | None = None
    while True:
        records, cursor = participations.roster(activity.activity_id, limit=PAGE, cursor=cursor)
        # Registrants and backfilled people not yet matched, as the roster route lists them.
        yield roster_lines(job.lg_code, records)
        written += len(records)
        exports.progress(job.lg_code, job.export_id, status="running", rows_written=written)
        if cursor is None:
            return


def run(job: exports.RosterExport) -> None:
    from furusato.capabilities.rosters import write_roster

    activity = activity_store.get_activity(job.lg_code, job.activity_id)
    if activity is None:
        exports.progress(
            job.lg_code, job.export_id, status="failed", rows_written=0, failure_message="activity not found"
        )
        return
    exports.progress(job.lg_code, job.export_id, status="running", rows_written=0)
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        path = os.path.join(tmp, "roster.xlsx")
        rows = write_roster(activity, _pages(activity, job), path)
        exports.upload(path, job.object_key)
    exports.progress(job.lg_code, job.export_id, status="completed", rows_written=rows)
    logger.info("roster exported", extra={"export_id": job.export_id, "rows": rows})


class RosterExports(Consumer):
    name = "roster-exports"
    item_types: ClassVar[frozenset[str]] = frozenset({"roster_export"})

    def apply(self, change: Change) -> None:
        if change.event_name != "INSERT" or change.new is None:
            return  # its own progress writes (MODIFY) come back: nothing to do
        job = exports.get(str(change.new["lg_code"]), str(change.new["export_id"]))
        if job is None or job.status == "completed":
            return
        run(job)
