"""An import job as the government's staff see it."""

from __future__ import annotations

from typing import Any

from furusato.store.imports import ImportJob

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
