"""Import jobs as staff see them: creation with a presigned upload, views, commit, and the
`.run` marker that runs a job in a new invocation."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from furusato import clock, topology
from furusato.clock import iso
from furusato.domain import ids
from furusato.domain.errors import Conflict, InvalidInput, NotFound
from furusato.store import imports as store
from furusato.store.ids import new_id
from furusato.views.imports import created_view, import_view

if TYPE_CHECKING:
    from furusato.imports import FileRejected

logger = Logger(service="furusato", child=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MiB = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MiB  # as imports.safety.DEFAULT_LIMITS.max_file_bytes (tested)
UPLOAD_URL_TTL_S = 15 * 60
REPORT_URL_TTL_S = 5 * 60
# An empty object with this name in a job's folder runs the job again (commit, hand-off, and an
# operator's way to restart a job whose run died: put it with the CLI).
RUN_MARKER = ".run"
# The schedule event (topology.SCHEDULES) that restarts the jobs whose run died (run.restart_stalled).
RECOVERY_SCHEDULE = "imports-recovery"
IMPORT_ID = re.compile(ids.IMPORT_ID)
EXPIRE_DAYS = topology.IMPORTS_BUCKET.expire_days or 90

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


def rejection(reason: str) -> FileRejected:
    from furusato.imports import FileRejected  # the run's path only, not the API's cold start

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
    from furusato.capabilities import backfill  # the S3 trigger's path only, not the API's

    digest = hashlib.sha256("\x1f".join(("furusato-import", bucket, key, version)).encode()).hexdigest()
    return backfill.backfill_id("imp", digest[:32])


# --- views -------------------------------------------------------------------------------------


def _with_report(job: store.ImportJob) -> dict[str, Any]:
    """The job's view, its report signed for a short-lived download."""
    report_url = None
    if job.report_key:
        report_url = store.presigned_get(
            job.report_key,
            expires_s=REPORT_URL_TTL_S,
            filename=f"furusato-import-{job.import_id}-report.xlsx",
            content_type=XLSX,
        )
    return import_view(job, report_url)


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
    post = store.presigned_post(
        key, content_type=XLSX, max_bytes=MAX_UPLOAD_BYTES, expires_s=UPLOAD_URL_TTL_S
    )
    logger.info("import created", extra={"lg_code": lg_code, "import_id": import_id, "dry_run": dry_run})
    return created_view(job, post, max_bytes=MAX_UPLOAD_BYTES)


def _job_of(lg_code: str, import_id: str) -> store.ImportJob:
    job = store.get_job(lg_code, import_id) if IMPORT_ID.fullmatch(import_id) else None
    if job is None:
        raise NotFound("no such import")
    return job


def get(lg_code: str, import_id: str) -> dict[str, Any]:
    return _with_report(_job_of(lg_code, import_id))


def commit(lg_code: str, import_id: str, *, sub: str) -> dict[str, Any]:
    """Import a validated dry run's file; 409 IMPORT_NOT_COMMITTABLE from any other state."""
    job = _job_of(lg_code, import_id)
    started = store.start_commit(lg_code, import_id, by=sub, now=iso(clock.now()))
    if started is None:
        current = _with_report(job)
        raise Conflict(
            "only a validated dry run can be committed",
            code="IMPORT_NOT_COMMITTABLE",
            details={"status": current["status"], "dry_run": job.dry_run},
        )
    logger.info("import committed", extra={"lg_code": lg_code, "import_id": import_id})
    later(lg_code, import_id)
    return _with_report(store.get_job(lg_code, import_id) or started)


def run_marker_key(lg_code: str, import_id: str) -> str:
    return f"imports/{lg_code}/{import_id}/{RUN_MARKER}"


def later(lg_code: str, import_id: str) -> None:
    """Run (or go on with) the job in a new invocation: an empty marker object in the job's
    folder, whose ObjectCreated event invokes this function asynchronously, as an upload does
    (same retries, same dead-letter queue, no extra permission; the local stack's S3 dispatch
    delivers it too)."""
    store.write_object(run_marker_key(lg_code, import_id), b"", content_type="application/octet-stream")
