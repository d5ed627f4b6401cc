"""The S3 ObjectCreated event of the imports bucket: an upload of a job's file, a direct upload
under imports/{lg_code}/ (a job is created for it), or a job's `.run` marker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.capabilities.imports.jobs import EXPIRE_DAYS, IMPORT_ID, RUN_MARKER, direct_import_id
from furusato.capabilities.imports.run import run
from furusato.clock import iso
from furusato.domain.lg_code import is_valid_lg_code
from furusato.settings import settings
from furusato.store import imports as store
from furusato.store import lgs
from furusato.store.s3 import ObjectCreated

logger = Logger(service="furusato", child=True)


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
