"""Asynchronous roster exports: the job item in the main table, the workbook in the imports
bucket (under exports/, expired by the bucket's lifecycle like reports).

Access patterns:
- create a job: PutItem pk=LG#{lg_code}, sk=EXPORT#{export_id}, attribute_not_exists(pk)
- read a job: GetItem of that key
- progress: UpdateItem SET status, rows_written, updated_at (after each roster page)
- the workbook: one multipart-free upload of the finished file (upload_file), a presigned GET
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from furusato import clock
from furusato.store import s3
from furusato.store.errors import find, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import RosterExportItem

# How long the workbook and its job are kept, and how long a download link works.
KEEP_DAYS = 7
LINK_S = 900


@dataclass(frozen=True)
class RosterExport:
    export_id: str
    lg_code: str
    activity_id: str
    status: str
    rows_total: int
    rows_written: int
    object_key: str
    created_by: str
    created_at: str
    updated_at: str
    failure_message: str | None = None


def _key(lg_code: str, export_id: str) -> tuple[str, str]:
    return lg_pk(lg_code), f"EXPORT#{export_id}"


def object_key(lg_code: str, activity_id: str, export_id: str) -> str:
    return f"exports/{lg_code}/{activity_id}/{export_id}.xlsx"


def _from(item: RosterExportItem) -> RosterExport:
    return RosterExport(
        export_id=item.export_id,
        lg_code=item.lg_code,
        activity_id=item.activity_id,
        status=item.status,
        rows_total=int(item.rows_total or 0),
        rows_written=int(item.rows_written or 0),
        object_key=item.object_key,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        failure_message=item.failure_message,
    )


def create(job: RosterExport) -> None:
    pk, sk = _key(job.lg_code, job.export_id)
    item = RosterExportItem(
        pk,
        sk,
        export_id=job.export_id,
        lg_code=job.lg_code,
        activity_id=job.activity_id,
        status=job.status,
        rows_total=job.rows_total,
        rows_written=0,
        object_key=job.object_key,
        created_by=job.created_by,
        created_at=job.created_at,
        updated_at=job.updated_at,
        expires_at=clock.now() + timedelta(days=KEEP_DAYS),
    )
    with storage_errors():
        item.save(condition=RosterExportItem.pk.does_not_exist())


def get(lg_code: str, export_id: str) -> RosterExport | None:
    item = find(RosterExportItem, *_key(lg_code, export_id))
    return _from(item) if item else None


def progress(
    lg_code: str, export_id: str, *, status: str, rows_written: int, failure_message: str | None = None
) -> None:
    e = RosterExportItem
    actions: list[Any] = [
        e.status.set(status),
        e.rows_written.set(rows_written),
        e.updated_at.set(clock.iso(clock.now())),
    ]
    if failure_message is not None:
        actions.append(e.failure_message.set(failure_message))
    with storage_errors():
        RosterExportItem(*_key(lg_code, export_id)).update(actions=actions, condition=e.pk.exists())


def upload(path: str, key: str) -> None:
    from furusato.settings import settings

    with s3.s3_errors():
        s3.client().upload_file(
            path,
            settings().imports_bucket,
            key,
            ExtraArgs={"ContentType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        )


def download_link(key: str, filename: str) -> tuple[str, datetime]:
    from furusato.settings import settings

    url = s3.presigned_get(settings().imports_bucket, key, expires_s=LINK_S, filename=filename)
    return url, clock.now() + timedelta(seconds=LINK_S)
