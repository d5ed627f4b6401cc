"""Backfill imports (rule 19): jobs, presigned uploads, the S3 trigger, processing and commit.

Lifecycle of a job (docs/imports.md, "Jobs"):

    POST /imports ─> waiting_upload ──(ObjectCreated of its key)──> processing ─┬─> validated (dry run)
    put under imports/{lg_code}/ ─────(ObjectCreated: a job is created)──────> │─> completed
                                                                               └─> failed
    validated ──(POST /imports/{id}/commit)──> processing ──> completed | failed

Idempotency: a job imports exactly one object version (bound when its first event arrives; a
direct upload's job id is derived from bucket, key and version). Only the invocation holding the
job's lease processes it; a completed, validated or failed job is never redone. Progress is
recorded after each chunk of people, and every write is keyed deterministically, so a crash and
a redelivery end in the same state as one clean run.

Logs carry ids, counts and reason codes only: never names, addresses, birth dates or file names.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from furusato import clock, topology
from furusato.capabilities import backfill
from furusato.clock import iso
from furusato.domain import ids
from furusato.domain.activity import Activity
from furusato.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from furusato.domain.lg_code import is_valid_lg_code
from furusato.imports import FileRejected
from furusato.settings import settings
from furusato.store import imports as store
from furusato.store import lgs
from furusato.store.ids import new_id
from furusato.store.s3 import ObjectCreated

if TYPE_CHECKING:
    from furusato.imports.validate import ValidationResult

logger = Logger(service="furusato", child=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MiB = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MiB  # as imports.safety.DEFAULT_LIMITS.max_file_bytes (tested)
UPLOAD_URL_TTL_S = 15 * 60
REPORT_URL_TTL_S = 5 * 60
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
# An empty object with this name in a job's folder runs the job again (commit, hand-off, and an
# operator's way to restart a job whose run died: put it with the CLI).
RUN_MARKER = ".run"
IMPORT_ID = re.compile(ids.IMPORT_ID)
STATUSES = ("waiting_upload", "processing", "validated", "completed", "failed")
EXPIRE_DAYS = topology.IMPORTS_BUCKET.expire_days or 90

# Wall clock for leases (not the business clock, which tests and the local stack freeze).
wall_clock: Callable[[], float] = time.time

_MESSAGES: dict[str, tuple[str, str]] = {
    "too_large": (  # as imports.safety says it, for a file refused before it is even read
        f"ファイルが大きすぎます（上限 {MAX_UPLOAD_BYTES // MiB} MB）。ファイルを分割してください。",
        f"the file exceeds {MAX_UPLOAD_BYTES // MiB} MB; split it",
    ),
    "no_rows": (
        "データ行がありません。見出し行の下に1行ずつ記入してください。",
        "the file has no data rows under the header",
    ),
    "file_missing": (
        "アップロードされたファイルが見つかりません（保存期間が過ぎたか削除されました）。もう一度アップロードしてください。",
        "the uploaded file is gone (expired or deleted); upload it again",
    ),
    "internal_error": (
        "ファイルを処理できませんでした。Excelで開いて.xlsx形式で保存し直し、もう一度アップロードしてください。",
        "the file could not be processed; save it again as .xlsx and upload it again",
    ),
}


def _rejection(reason: str) -> FileRejected:
    ja, en = _MESSAGES[reason]
    return FileRejected(reason, ja, en)


def report_key(lg_code: str, import_id: str) -> str:
    return f"reports/{lg_code}/{import_id}.xlsx"


def safe_filename(filename: str) -> str:
    """The last path segment, NFKC, with only [A-Za-z0-9._-]: an S3 key part with no surprises.
    The name as given is kept on the job for display."""
    base = unicodedata.normalize("NFKC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", ext):
        stem, ext = base, ""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:80] or "upload"
    return f"{clean}.{ext.lower()}" if ext else clean


def direct_import_id(bucket: str, key: str, version: str) -> str:
    """The job of an object put directly under imports/{lg_code}/: the same for every delivery
    of the same object version."""
    digest = hashlib.sha256("\x1f".join(("furusato-import", bucket, key, version)).encode()).hexdigest()
    return backfill.backfill_id("imp", digest[:32])


# --- views -------------------------------------------------------------------------------------


def view(job: store.ImportJob) -> dict[str, Any]:
    """The job as GET /imports/{id} shows it; report_url is a short-lived presigned GET."""
    report_url = None
    if job.report_key:
        report_url = store.presigned_get(
            job.report_key,
            expires_s=REPORT_URL_TTL_S,
            filename=f"furusato-import-{job.import_id}-report.xlsx",
            content_type=XLSX,
        )
    return {
        "import_id": job.import_id,
        "status": job.status if job.status in STATUSES else "processing",
        "dry_run": job.dry_run,
        "filename": job.filename,
        "created_at": job.created_at,
        "rows_total": job.rows_total,
        "rows_imported": job.rows_imported,
        "rows_rejected": job.rows_rejected,
        "participants_matched": job.participants_matched,
        "participants_pending": job.participants_pending,
        "report_url": report_url,
        "failure_reason": job.failure_reason,
        "failure_message": job.failure_message,
    }


# --- staff use cases ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def template() -> bytes:
    """The official empty template (built once per container: openpyxl is slow to write)."""
    from furusato.imports.template import build_template

    return build_template()


def create(lg_code: str, *, sub: str, filename: str, dry_run: bool) -> dict[str, Any]:
    """A job waiting for its file, and the presigned POST that uploads it."""
    if not filename.strip() or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in filename):
        raise InvalidInput("invalid filename", details={"filename": "a name, without control characters"})
    import_id = new_id("imp")
    key = f"imports/{lg_code}/{import_id}/{safe_filename(filename)}"
    now = clock.now()
    job = store.ImportJob(
        import_id=import_id,
        lg_code=lg_code,
        filename=filename.strip(),
        dry_run=dry_run,
        status="waiting_upload",
        origin="api",
        object_key=key,
        created_at=iso(now),
        created_by=sub,
        updated_at=iso(now),
        expires_at=now + timedelta(days=EXPIRE_DAYS),
    )
    store.create_job(job)
    url, fields = store.presigned_post(
        key, content_type=XLSX, max_bytes=MAX_UPLOAD_BYTES, expires_s=UPLOAD_URL_TTL_S
    )
    logger.info("import created", extra={"lg_code": lg_code, "import_id": import_id, "dry_run": dry_run})
    return {
        "import_id": import_id,
        "status": "waiting_upload",
        "upload": {
            "url": url,
            "fields": fields,
            "method": "POST",
            "expires_at": iso(clock.now() + timedelta(seconds=UPLOAD_URL_TTL_S)),
            "max_bytes": MAX_UPLOAD_BYTES,
        },
    }


def _job_of(lg_code: str, import_id: str) -> store.ImportJob:
    job = store.get_job(lg_code, import_id) if IMPORT_ID.fullmatch(import_id) else None
    if job is None:
        raise NotFound("no such import")
    return job


def get(lg_code: str, import_id: str) -> dict[str, Any]:
    return view(_job_of(lg_code, import_id))


def commit(lg_code: str, import_id: str, *, sub: str) -> dict[str, Any]:
    """Import a validated dry run's file; 409 IMPORT_NOT_COMMITTABLE from any other state."""
    job = _job_of(lg_code, import_id)
    started = store.start_commit(lg_code, import_id, by=sub, now=iso(clock.now()))
    if started is None:
        current = view(job)
        raise Conflict(
            "only a validated dry run can be committed",
            code="IMPORT_NOT_COMMITTABLE",
            details={"status": current["status"], "dry_run": job.dry_run},
        )
    logger.info("import committed", extra={"lg_code": lg_code, "import_id": import_id})
    later(lg_code, import_id)
    return view(store.get_job(lg_code, import_id) or started)


# --- running jobs ------------------------------------------------------------------------------


def run_marker_key(lg_code: str, import_id: str) -> str:
    return f"imports/{lg_code}/{import_id}/{RUN_MARKER}"


def later(lg_code: str, import_id: str) -> None:
    """Run (or go on with) the job in a new invocation: an empty marker object in the job's
    folder, whose ObjectCreated event invokes this function asynchronously, as an upload does
    (same retries, same dead-letter queue, no extra permission; the local stack's S3 dispatch
    delivers it too)."""
    store.write_object(run_marker_key(lg_code, import_id), b"", content_type="application/octet-stream")


RECOVERY_SCHEDULE = "imports-recovery"


def restart_stalled() -> dict[str, Any]:
    """The periodic recovery check: every job `processing` whose lease has run out (its run
    died: timeout, memory, a crash) or that no run has leased for longer than a lease (its event
    was lost) gets its `.run` marker again, whose event resumes it from its recorded progress.
    Harmless on a healthy job: a run is only ever started through the conditional lease."""
    wall_now = int(wall_clock())
    idle_limit = timedelta(seconds=LEASE_S + LEASE_SLACK_S)
    restarted: list[str] = []
    jobs = store.processing_jobs()
    for job in jobs:
        if job.lease_until is not None:
            stalled = job.lease_until < wall_now
        else:
            stalled = clock.now() - datetime.fromisoformat(job.updated_at) > idle_limit
        if stalled:
            later(job.lg_code, job.import_id)
            restarted.append(job.import_id)
    if restarted:
        logger.warning("stalled imports restarted", extra={"import_ids": restarted})
    return {"processing": len(jobs), "restarted": restarted}


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
        return _Run(job, owner, remaining_ms, continue_later or later).go()
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
            return self._fail(_rejection("too_large"))
        try:
            data = store.read_object(job.object_key, job.source_version, max_bytes=MAX_UPLOAD_BYTES)
        except store.ObjectMissing:
            return self._fail(_rejection("file_missing"))
        analysed_at = datetime.fromisoformat(job.analysed_at) if job.analysed_at else clock.now()
        started = time.perf_counter()
        try:
            from furusato.imports import analyse
            from furusato.imports.safety import in_limited_process

            # In a child process under a memory limit: a file that makes a reader overrun or
            # abort fails this job cleanly instead of killing the invocation on every retry.
            result = in_limited_process(analyse, data, lg_code=job.lg_code, now=analysed_at)
        except FileRejected as error:
            return self._fail(error)
        except (Unavailable, MemoryError):
            raise
        except Exception as exc:  # a file the parser did not expect: not worth retrying
            logger.error("import analysis failed", extra={**self.log, "error_type": type(exc).__name__})
            return self._fail(_rejection("internal_error"))
        finally:
            self.timings.analyse_s = time.perf_counter() - started
        del data
        if result.rows_total == 0:
            return self._fail(_rejection("no_rows"))
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


# --- the S3 trigger ----------------------------------------------------------------------------


def _ignore(reason: str, **extra: Any) -> str:
    # The key is never logged: its file name may be a person's name.
    logger.warning("S3 object ignored", extra={"reason": reason, **extra})
    return f"ignored:{reason}"


def on_object_created(
    event: ObjectCreated,
    *,
    remaining_ms: Callable[[], int],
    continue_later: Callable[[str, str], None] | None = None,
) -> str:
    """Start (or resume) the import an uploaded object belongs to."""
    if event.bucket != settings().imports_bucket:
        return _ignore("unknown_bucket")
    parts = event.key.split("/")
    if len(parts) not in (3, 4) or parts[0] != "imports" or not parts[-1]:
        return _ignore("unexpected_key", segments=len(parts))
    lg_code = parts[1]
    if not is_valid_lg_code(lg_code):
        return _ignore("invalid_lg_code")
    now = clock.now()
    if len(parts) == 4:
        import_id = parts[2]
        job = store.get_job(lg_code, import_id) if IMPORT_ID.fullmatch(import_id) else None
        if job is not None and parts[3] == RUN_MARKER:
            return run(lg_code, import_id, remaining_ms=remaining_ms, continue_later=continue_later)
        if job is None or job.origin != "api":
            return _ignore("unknown_import", lg_code=lg_code)
        if job.object_key != event.key:
            return _ignore("unexpected_key", lg_code=lg_code, import_id=import_id)
        if job.status == "waiting_upload":
            bound = store.bind_upload(
                lg_code, import_id, version=event.version, etag=event.etag, size=event.size, now=iso(now)
            )
            job = bound or store.get_job(lg_code, import_id) or job
        if job.source_version != event.version:
            # One file per job: another upload to the same key needs a new job.
            return _ignore("another_version", lg_code=lg_code, import_id=import_id)
    else:
        if lgs.get(lg_code) is None:
            return _ignore("not_onboarded", lg_code=lg_code)
        import_id = direct_import_id(event.bucket, event.key, event.version)
        created = store.create_job(
            store.ImportJob(
                import_id=import_id,
                lg_code=lg_code,
                filename=parts[2][:200],
                dry_run=False,
                status="processing",
                origin="direct",
                object_key=event.key,
                created_at=iso(now),
                created_by=None,
                updated_at=iso(now),
                source_version=event.version,
                source_etag=event.etag,
                source_size=event.size,
                expires_at=now + timedelta(days=EXPIRE_DAYS),
            )
        )
        if created:
            logger.info(
                "import created for a direct upload", extra={"lg_code": lg_code, "import_id": import_id}
            )
    return run(lg_code, import_id, remaining_ms=remaining_ms, continue_later=continue_later)
