"""Backfill import jobs, the activities they create, and the imports bucket.

Access patterns (main table):
- one job: GetItem pk=LG#{lg_code}, sk=IMPORT#{import_id} (strongly consistent); a job of another
  government is simply not under this government's partition
- create a job: PutItem attribute_not_exists(pk) (a direct upload's id is deterministic, so a
  redelivered event finds the job it created)
- state changes: UpdateItem with a condition on the state read: waiting_upload -> processing
  (binding the uploaded version), the processing lease (only one invocation holds it), progress
  and the end (only by the lease holder), validated -> processing on commit
- backfilled activities: BatchGetItem of pk=LG#{lg_code}, sk=ACT#{activity_id}; a missing one is
  a conditional PutItem (attribute_not_exists) that answers the stored item when it lost a race
  (ReturnValuesOnConditionCheckFailure=ALL_OLD)

Objects (imports bucket): uploads under `imports/{lg_code}/...` (presigned POST, read by version),
reports under `reports/{lg_code}/{import_id}.xlsx` (presigned GET). Both expire by lifecycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import UpdateError

from furusato.domain.errors import Unavailable
from furusato.settings import settings
from furusato.store import s3
from furusato.store.errors import find, is_condition_failure, put_unless_exists, save_once, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import ActivityItem, BackfillActivityItem, ImportJobItem, MainItem
from furusato.store.s3 import ObjectMissing

if TYPE_CHECKING:  # the activities' store loads on the import run's path only, not the API's
    from furusato.domain.activity import Activity

BATCH_GET_MAX = 100


def job_sk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


# Sparse index of the jobs in `processing` (gsi1): the periodic recovery check reads it, so a job
# whose run died and whose event never came back is restarted without a person (or a Scan).
PROCESSING_PK = "IMPORTS#PROCESSING"


def processing_sk(lg_code: str, import_id: str) -> str:
    return f"{lg_code}#{import_id}"


class ImportJob(NamedTuple):
    """A job as stored (a record: a NamedTuple is built at import far faster than a dataclass of
    30 fields, and the imports function's cold start loads this module)."""

    import_id: str
    lg_code: str
    filename: str
    dry_run: bool
    status: str
    origin: str
    object_key: str
    created_at: str
    created_by: str | None
    updated_at: str
    source_version: str | None = None
    source_etag: str | None = None
    source_size: int | None = None
    committed_at: str | None = None
    committed_by: str | None = None
    analysed_at: str | None = None
    rows_total: int | None = None
    rows_imported: int | None = None
    rows_rejected: int | None = None
    rows_duplicate: int | None = None
    activities: int | None = None
    participants_matched: int | None = None
    participants_pending: int | None = None
    progress: int | None = None
    report_key: str | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    completed_at: str | None = None
    lease_until: int | None = None
    lease_owner: str | None = None
    expires_at: datetime | None = None

    @property
    def importing(self) -> bool:
        """Writes participations when processed (not a dry run, or a committed one)."""
        return not self.dry_run or self.committed_at is not None


_INT_FIELDS = (
    "source_size",
    "rows_total",
    "rows_imported",
    "rows_rejected",
    "rows_duplicate",
    "activities",
    "participants_matched",
    "participants_pending",
    "progress",
    "lease_until",
)


def _job(item: ImportJobItem) -> ImportJob:
    values: dict[str, Any] = {}
    for name in ImportJob._fields:
        value = getattr(item, name, None)
        if name in _INT_FIELDS and value is not None:
            value = int(value)
        values[name] = value
    values["dry_run"] = bool(item.dry_run)
    return ImportJob(**values)


def create_job(job: ImportJob) -> bool:
    """Store a new job; False when a job with this id exists already (a redelivered event)."""
    fields = {
        name: getattr(job, name)
        for name in ImportJob._fields
        if getattr(job, name) is not None and name not in ("lease_until", "lease_owner")
    }
    if job.status == "processing":
        fields.update(gsi1pk=PROCESSING_PK, gsi1sk=processing_sk(job.lg_code, job.import_id))
    item = ImportJobItem(lg_pk(job.lg_code), job_sk(job.import_id), **fields)
    return save_once(item)


def get_job(lg_code: str, import_id: str) -> ImportJob | None:
    item = find(ImportJobItem, lg_pk(lg_code), job_sk(import_id))
    return _job(item) if item else None


def _update(lg_code: str, import_id: str, actions: list[Any], condition: Any) -> ImportJob | None:
    """Apply the actions when the condition holds: the job after, or None when it did not."""
    item = ImportJobItem(lg_pk(lg_code), job_sk(import_id))
    with storage_errors():
        try:
            item.update(actions=actions, condition=ImportJobItem.pk.exists() & condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
    return _job(item)


def _entering_processing(lg_code: str, import_id: str) -> list[Any]:
    """A job that starts processing joins the sparse index the periodic recovery check reads."""
    j = ImportJobItem
    return [
        j.status.set("processing"),
        j.gsi1pk.set(PROCESSING_PK),
        j.gsi1sk.set(processing_sk(lg_code, import_id)),
    ]


def bind_upload(
    lg_code: str, import_id: str, *, version: str, etag: str, size: int, now: str
) -> ImportJob | None:
    """waiting_upload -> processing with this object version; None when the job had its file."""
    j = ImportJobItem
    return _update(
        lg_code,
        import_id,
        [
            *_entering_processing(lg_code, import_id),
            j.source_version.set(version),
            j.source_etag.set(etag),
            j.source_size.set(size),
            j.updated_at.set(now),
        ],
        j.status == "waiting_upload",
    )


def acquire(lg_code: str, import_id: str, *, owner: str, until: int, wall_now: int) -> ImportJob | None:
    """Take the processing lease: only a `processing` job whose lease is free or has run out
    (its holder died). None when another invocation holds it or the job is not processing."""
    j = ImportJobItem
    return _update(
        lg_code,
        import_id,
        [j.lease_owner.set(owner), j.lease_until.set(until)],
        (j.status == "processing") & (j.lease_until.does_not_exist() | (j.lease_until < wall_now)),
    )


def release(lg_code: str, import_id: str, *, owner: str) -> bool:
    """Give the lease back (the job stays `processing`, its progress kept)."""
    j = ImportJobItem
    done = _update(
        lg_code, import_id, [j.lease_owner.remove(), j.lease_until.remove()], j.lease_owner == owner
    )
    return done is not None


def record(lg_code: str, import_id: str, *, owner: str, now: str, **fields: Any) -> ImportJob | None:
    """Write fields of the job while holding its lease (None values are removed)."""
    j = ImportJobItem
    actions: list[Any] = [j.updated_at.set(now)]
    for name, value in fields.items():
        attribute = getattr(j, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return _update(lg_code, import_id, actions, j.lease_owner == owner)


def finish(
    lg_code: str, import_id: str, *, owner: str, status: str, now: str, **fields: Any
) -> ImportJob | None:
    """End the run: the final status and fields, and the lease removed (None: not the holder)."""
    return record(
        lg_code,
        import_id,
        owner=owner,
        now=now,
        status=status,
        completed_at=now,
        lease_owner=None,
        lease_until=None,
        gsi1pk=None,
        gsi1sk=None,
        **fields,
    )


def start_commit(lg_code: str, import_id: str, *, by: str, now: str) -> ImportJob | None:
    """validated dry run -> processing, importing; None when the job is not a validated dry run."""
    j = ImportJobItem
    return _update(
        lg_code,
        import_id,
        [
            *_entering_processing(lg_code, import_id),
            j.committed_at.set(now),
            j.committed_by.set(by),
            j.updated_at.set(now),
            j.analysed_at.remove(),
            j.progress.remove(),
            j.participants_matched.remove(),
            j.participants_pending.remove(),
            j.report_key.remove(),
            j.completed_at.remove(),
        ],
        (j.status == "validated") & (j.dry_run == True),  # noqa: E712 - a condition expression
    )


def processing_jobs(limit: int = 500) -> list[ImportJob]:
    """The jobs in `processing`, from the sparse index (eventually consistent: the recovery
    check acts on each only through the job's own conditional lease)."""
    with storage_errors():
        return [
            _job(item)
            for item in MainItem.gsi1.query(PROCESSING_PK, limit=limit)
            if isinstance(item, ImportJobItem) and item.status == "processing"
        ]


# --- backfilled activities ---------------------------------------------------------------------


def activities_by_id(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Activity]:
    """(lg_code, activity_id) -> the stored activity, for those that exist (consistent reads)."""
    from furusato.store.activities import activity_sk, to_activity

    wanted = sorted(set(keys))
    found: dict[tuple[str, str], Activity] = {}
    with storage_errors():
        for start in range(0, len(wanted), BATCH_GET_MAX):
            batch = [(lg_pk(lg), activity_sk(aid)) for lg, aid in wanted[start : start + BATCH_GET_MAX]]
            for item in MainItem.batch_get(batch, consistent_read=True):
                if isinstance(item, ActivityItem):
                    found[(item.lg_code, item.activity_id)] = to_activity(item)
    return found


def create_backfill_activity(
    activity: Activity, *, backfill_key: str, import_id: str, created_by: str
) -> tuple[bool, Activity]:
    """Create the activity unless it exists: (True, it) or (False, the stored one)."""
    from furusato.store.activities import activity_item, to_activity

    item = activity_item(
        activity,
        created_by=created_by,
        model=BackfillActivityItem,
        source="backfill",
        backfill_key=backfill_key,
        import_id=import_id,
    )
    old = put_unless_exists(item)
    if old is None:
        return True, activity
    stored = MainItem.from_raw_data(old) if old else None
    if isinstance(stored, ActivityItem):
        return False, to_activity(stored)
    found = activities_by_id([(activity.lg_code, activity.activity_id)])
    return False, found.get((activity.lg_code, activity.activity_id), activity)


# --- the imports bucket ------------------------------------------------------------------------


# One S3 client per container, shared with the other buckets' stores.
_s3 = s3.client


def _bucket() -> str:
    return settings().imports_bucket


def presigned_post(key: str, *, content_type: str, max_bytes: int, expires_s: int) -> s3.PresignedPost:
    return s3.presigned_post(
        _bucket(), key, content_type=content_type, max_bytes=max_bytes, expires_s=expires_s
    )


def presigned_get(key: str, *, expires_s: int, filename: str, content_type: str) -> str:
    return s3.presigned_get(_bucket(), key, expires_s=expires_s, filename=filename, content_type=content_type)


def read_object(key: str, version: str | None, *, max_bytes: int) -> bytes:
    """The object's bytes; ObjectMissing when gone. Reads at most `max_bytes` + 1 bytes."""
    params: dict[str, Any] = {"Bucket": _bucket(), "Key": key}
    if version and version != "null":
        params["VersionId"] = version
    try:
        response = _s3().get_object(**params)
        with response["Body"] as body:
            return bytes(body.read(max_bytes + 1))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchVersion", "404", "InvalidArgument"):
            raise ObjectMissing(code) from exc
        if code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
            raise Unavailable() from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable() from exc


def write_object(key: str, data: bytes, *, content_type: str) -> None:
    try:
        _s3().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
            raise Unavailable() from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable() from exc
