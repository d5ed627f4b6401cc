"""Processing an import job under its lease: analysis in a limited child process, activities,
people in chunks with recorded progress, the report, hand-off to a new invocation when time runs
short, and the periodic restart of jobs whose run died."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.capabilities import backfill
from furusato.capabilities.imports import jobs
from furusato.capabilities.imports.jobs import MAX_UPLOAD_BYTES, XLSX, rejection, report_key
from furusato.capabilities.imports.jobs import RECOVERY_SCHEDULE as RECOVERY_SCHEDULE
from furusato.clock import iso
from furusato.domain.activity import Activity
from furusato.domain.errors import Unavailable
from furusato.imports import FileRejected
from furusato.settings import settings
from furusato.store import imports as store
from furusato.views.imports import recovery_view

if TYPE_CHECKING:
    from furusato.imports.validate import ValidationResult

logger = Logger(service="furusato", child=True)

# People (match keys) written per chunk; progress is recorded after each.
CHUNK_PEOPLE = 100
# A run hands the rest of the job on to a new invocation when less than this, plus the time the
# report will take, is left of its own.
DEFAULT_MARGIN_MS = 20_000
REPORT_MS_PER_ROW = 0.6
# The processing lease: renewed with every progress write, it lapses this long after its holder
# stopped writing (a run killed by a timeout or out of memory), plus a margin for clock skew.
LEASE_S = 120
LEASE_SLACK_S = 30
# Wall clock for leases (not the business clock, which tests and the local stack freeze).
wall_clock: Callable[[], float] = time.time


def restart_stalled() -> dict[str, Any]:
    """The periodic recovery check: every job `processing` whose lease has run out (its run
    died: timeout, memory, a crash) or that no run has leased for longer than a lease (its event
    was lost) gets its `.run` marker again, whose event resumes it from its recorded progress.
    Harmless on a healthy job: a run is only ever started through the conditional lease."""
    wall_now = int(wall_clock())
    idle_limit = timedelta(seconds=LEASE_S + LEASE_SLACK_S)
    restarted: list[str] = []
    processing = store.processing_jobs()
    for job in processing:
        if job.lease_until is not None:
            stalled = job.lease_until < wall_now
        else:
            stalled = clock.now() - datetime.fromisoformat(job.updated_at) > idle_limit
        if stalled:
            jobs.later(job.lg_code, job.import_id)
            restarted.append(job.import_id)
    if restarted:
        logger.warning("stalled imports restarted", extra={"import_ids": restarted})
    return recovery_view(processing, restarted)


def _lease_until(remaining_ms: Callable[[], int]) -> int:
    return int(wall_clock()) + min(remaining_ms() // 1000, LEASE_S) + LEASE_SLACK_S


def run(
    lg_code: str,
    import_id: str,
    *,
    remaining_ms: Callable[[], int],
    continue_later: Callable[[str, str], None] | None = None,
) -> str:
    """Process the job if it is `processing` and nobody else is: take the lease, work, and
    give it back whatever happens. Returns what happened (for logs and tests)."""
    owner = uuid.uuid4().hex
    until = _lease_until(remaining_ms)
    job = store.acquire(lg_code, import_id, owner=owner, until=until, wall_now=int(wall_clock()))
    if job is None:
        current = store.get_job(lg_code, import_id)
        status = current.status if current else "missing"
        if status == "processing":
            # Another invocation holds the lease, or held it and died. Answering success here
            # would stop Lambda's retries with the job left `processing`: fail the delivery so it
            # is retried after the lease runs out (and reaches the failure queue if it never does).
            logger.info("import busy", extra={"lg_code": lg_code, "import_id": import_id})
            raise ImportBusy(lg_code, import_id)
        outcome = f"already_{status}"
        logger.info("import not run", extra={"lg_code": lg_code, "import_id": import_id, "outcome": outcome})
        return outcome
    try:
        return _Run(job, owner, remaining_ms, continue_later or jobs.later).go()
    except LeaseLost:
        logger.warning("import lease lost", extra={"lg_code": lg_code, "import_id": import_id})
        return "lease_lost"
    except BaseException:
        # Progress is kept; a redelivery (or Lambda's retry) takes the lease and resumes.
        store.release(lg_code, import_id, owner=owner)
        raise


@dataclass
class _Timings:
    analyse_s: float = 0.0
    activities_s: float = 0.0
    people_s: float = 0.0
    report_s: float = 0.0


class _Run:
    def __init__(
        self,
        job: store.ImportJob,
        owner: str,
        remaining_ms: Callable[[], int],
        continue_later: Callable[[str, str], None],
    ) -> None:
        self.job = job
        self.owner = owner
        self.remaining_ms = remaining_ms
        self.continue_later = continue_later
        self.timings = _Timings()
        self.log = {"lg_code": job.lg_code, "import_id": job.import_id}

    def _record(self, **fields: Any) -> None:
        """Write progress and renew the lease (a heartbeat: a holder that died frees the job
        within LEASE_S + LEASE_SLACK_S)."""
        done = store.record(
            self.job.lg_code,
            self.job.import_id,
            owner=self.owner,
            now=iso(clock.now()),
            lease_until=_lease_until(self.remaining_ms),
            **fields,
        )
        if done is None:
            raise LeaseLost()

    def _finish(self, status: str, **fields: Any) -> str:
        done = store.finish(
            self.job.lg_code,
            self.job.import_id,
            owner=self.owner,
            status=status,
            now=iso(clock.now()),
            **fields,
        )
        if done is None:
            raise LeaseLost()
        logger.info(
            "import finished",
            extra={
                **self.log,
                "status": status,
                "reason": fields.get("failure_reason"),
                "rows_total": fields.get("rows_total", self.job.rows_total),
                "participants_matched": fields.get("participants_matched"),
                "participants_pending": fields.get("participants_pending"),
                "seconds": {k: round(v, 3) for k, v in vars(self.timings).items()},
            },
        )
        return status

    def _fail(self, error: FileRejected) -> str:
        from furusato.imports.report import build_rejection_report

        key = report_key(self.job.lg_code, self.job.import_id)
        store.write_object(key, build_rejection_report(error), content_type=XLSX)
        return self._finish(
            "failed", failure_reason=error.reason, failure_message=error.message_ja, report_key=key
        )

    def go(self) -> str:
        job = self.job
        if job.source_size is not None and job.source_size > MAX_UPLOAD_BYTES:
            return self._fail(rejection("too_large"))
        try:
            data = store.read_object(job.object_key, job.source_version, max_bytes=MAX_UPLOAD_BYTES)
        except store.ObjectMissing:
            return self._fail(rejection("file_missing"))
        analysed_at = datetime.fromisoformat(job.analysed_at) if job.analysed_at else clock.now()
        started = time.perf_counter()
        try:
            from furusato.imports import analyse

            # Reading in a child process under a memory limit: a file that makes a reader overrun
            # or abort fails this job cleanly instead of killing the invocation on every retry.
            result = analyse(data, lg_code=job.lg_code, now=analysed_at, isolated=True)
        except FileRejected as error:
            return self._fail(error)
        except (Unavailable, MemoryError):
            raise
        except Exception as exc:  # a file the parser did not expect: not worth retrying
            logger.error("import analysis failed", extra={**self.log, "error_type": type(exc).__name__})
            return self._fail(rejection("internal_error"))
        finally:
            self.timings.analyse_s = time.perf_counter() - started
        del data
        if result.rows_total == 0:
            return self._fail(rejection("no_rows"))
        counts = {
            "rows_total": result.rows_total,
            "rows_imported": result.rows_valid + result.rows_duplicate,
            "rows_rejected": result.rows_rejected,
            "rows_duplicate": result.rows_duplicate,
            "activities": len(result.activities),
        }
        if job.analysed_at is None:
            self._record(analysed_at=iso(analysed_at), **counts)
        people = group_people(result)
        logger.info(
            "import analysed", extra={**self.log, **counts, "people": len(people), "resume_at": job.progress}
        )
        if not job.importing:
            return self._validate_only(result, people, counts)
        return self._import(result, people, counts, analysed_at)

    def _validate_only(
        self, result: ValidationResult, people: list[backfill.PersonRows], counts: dict[str, int]
    ) -> str:
        matched = pending = 0
        for start in range(0, len(people), CHUNK_PEOPLE):
            outcome = backfill.match_counts(people[start : start + CHUNK_PEOPLE])
            matched += outcome.matched
            pending += outcome.pending
        key = self._report(result, committed=False)
        return self._finish(
            "validated", participants_matched=matched, participants_pending=pending, report_key=key, **counts
        )

    def _import(
        self,
        result: ValidationResult,
        people: list[backfill.PersonRows],
        counts: dict[str, int],
        analysed_at: datetime,
    ) -> str:
        job = self.job
        started = time.perf_counter()
        activities = ensure_activities(result, job.lg_code, job.import_id, analysed_at)
        self.timings.activities_s = time.perf_counter() - started
        matched = job.participants_matched or 0
        pending = job.participants_pending or 0
        margin_ms = settings().import_margin_ms or DEFAULT_MARGIN_MS
        margin = margin_ms + int(result.rows_total * REPORT_MS_PER_ROW)
        started = time.perf_counter()
        for start in range(job.progress or 0, len(people), CHUNK_PEOPLE):
            chunk = people[start : start + CHUNK_PEOPLE]
            outcome = backfill.write_people(
                chunk, activities, import_id=job.import_id, recorded_at=analysed_at
            )
            matched += outcome.matched
            pending += outcome.pending
            self._record(
                progress=start + len(chunk), participants_matched=matched, participants_pending=pending
            )
            if self.remaining_ms() < margin:
                self.timings.people_s = time.perf_counter() - started
                return self._hand_off(start + len(chunk))
        self.timings.people_s = time.perf_counter() - started
        key = self._report(result, committed=True)
        return self._finish(
            "completed", participants_matched=matched, participants_pending=pending, report_key=key, **counts
        )

    def _hand_off(self, progress: int) -> str:
        store.release(self.job.lg_code, self.job.import_id, owner=self.owner)
        logger.info("import handed on", extra={**self.log, "progress": progress})
        self.continue_later(self.job.lg_code, self.job.import_id)
        return "handed_off"

    def _report(self, result: ValidationResult, *, committed: bool) -> str:
        from furusato.imports.report import build_report

        started = time.perf_counter()
        key = report_key(self.job.lg_code, self.job.import_id)
        store.write_object(key, build_report(result, committed=committed), content_type=XLSX)
        self.timings.report_s = time.perf_counter() - started
        return key


class ImportBusy(Exception):
    """Retryable: the job is `processing` under another invocation's lease (live, or left by an
    invocation that died). The event is delivered again later and resumes the job."""

    def __init__(self, lg_code: str, import_id: str) -> None:
        super().__init__(f"import {import_id} of {lg_code} is leased by another invocation")


class LeaseLost(Exception):
    """Another invocation took the job over (this one outlived its lease): stop, change nothing."""


def group_people(result: ValidationResult) -> list[backfill.PersonRows]:
    """The file's people (match keys) in order of first appearance, with their participations."""
    people: dict[str, backfill.PersonRows] = {}
    for p in result.participations:
        person = people.get(p.match_key)
        if person is None:
            person = people[p.match_key] = backfill.PersonRows(p.match_key, name=p.name)
        person.participations.append((p.activity_key, p.key))
    return list(people.values())


def ensure_activities(
    result: ValidationResult, lg_code: str, import_id: str, now: datetime
) -> dict[str, Activity]:
    """Every activity of the file, created (designated, source backfill) unless one with its
    deterministic id exists, which is then used as stored. Activity key -> activity."""
    from concurrent.futures import ThreadPoolExecutor

    wanted = {a.key: backfill.activity_id(a.key) for a in result.activities}
    stored = store.activities_by_id((lg_code, aid) for aid in wanted.values())
    out: dict[str, Activity] = {}
    missing: list[Activity] = []
    keys: dict[str, str] = {}
    stamp = iso(now)
    for a in result.activities:
        aid = wanted[a.key]
        found = stored.get((lg_code, aid))
        if found is not None:
            out[a.key] = found
            continue
        keys[aid] = a.key
        missing.append(
            Activity(
                activity_id=aid,
                lg_code=lg_code,
                name=a.name,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                place=a.place,
                conditions=a.conditions,
                capacity=None,
                organization_id=None,
                designated=True,
                checkin_mode=backfill.BACKFILL_CHECKIN_MODE,  # type: ignore[arg-type]
                status="scheduled",
                created_at=stamp,
                updated_at=stamp,
            )
        )

    def create_one(activity: Activity) -> tuple[str, Activity]:
        _, kept = store.create_backfill_activity(
            activity,
            backfill_key=keys[activity.activity_id],
            import_id=import_id,
            created_by=f"import:{import_id}",
        )
        return keys[activity.activity_id], kept

    if missing:
        with ThreadPoolExecutor(max_workers=min(backfill.WRITERS, len(missing))) as pool:
            for key, kept in pool.map(create_one, missing):
                out[key] = kept
    return out
