"""An import job as the government's staff see it, and as it answers its creation."""

from __future__ import annotations

from typing import Any

from furusato.store.imports import ImportJob
from furusato.store.s3 import PresignedPost

# The statuses a reader sees; the job's internal steps between them read as "processing".
STATUSES = ("waiting_upload", "processing", "validated", "completed", "failed")


def import_view(job: ImportJob, report_url: str | None) -> dict[str, Any]:
    """`report_url` is the short-lived link to the job's report, when it has one: the capability
    signs it, so the view makes no storage call."""
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


def created_view(job: ImportJob, post: PresignedPost, *, max_bytes: int) -> dict[str, Any]:
    """A new job waiting for its file, and the presigned POST (at most `max_bytes`) that sends it."""
    return {
        "import_id": job.import_id,
        "status": job.status,
        "upload": {
            "url": post.url,
            "fields": post.fields,
            "method": "POST",
            "expires_at": post.expires_at,
            "max_bytes": max_bytes,
        },
    }


def recovery_view(processing: list[ImportJob], restarted: list[str]) -> dict[str, Any]:
    """What the periodic recovery check found: the jobs processing, and those it restarted."""
    return {"processing": len(processing), "restarted": restarted}
