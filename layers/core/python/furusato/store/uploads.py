"""Uploaded files: their records (main table) and their objects (the uploads bucket).

Access patterns (main table):
- one upload: GetItem pk=P#{owner}#UPLOAD, sk=UPLOAD#{upload_id} (consistent)
- several (attaching documents): BatchGetItem of the same keys (consistent)
- everything a person uploaded (and the documents of one record): Query pk=P#{owner}#UPLOAD
- create: PutItem attribute_not_exists(pk)
- mark what a document was handed in with: UpdateItem, condition status = accepted
- record the check once: UpdateItem, condition status = pending (a redelivered event or an
  attach racing the trigger finds it decided and changes nothing)

Objects: `uploads/{owner}/{upload_id}` (domain.uploads.object_key). Written by the browser with a
presigned POST whose policy fixes the key, the Content-Type and the size range; read by people
only through short-lived presigned GETs; the check reads only the first bytes (a Range GET).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from furusato.domain.uploads import SNIFF_BYTES
from furusato.settings import settings
from furusato.store import s3
from furusato.store.errors import find, is_condition_failure, put_unless_exists, storage_errors
from furusato.store.models import MainItem, UploadItem
from furusato.store.s3 import ObjectMissing

BATCH_GET_MAX = 100

__all__ = ["ObjectMissing"]


def uploads_pk(owner: str) -> str:
    return f"P#{owner}#UPLOAD"


def upload_sk(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


@dataclass(frozen=True)
class Upload:
    upload_id: str
    owner: str
    purpose: str
    content_type: str
    size: int
    object_key: str
    status: str
    created_at: str
    rejection: str | None = None
    checked_at: str | None = None
    attached_to: str | None = None
    checked_version: str | None = None


def _upload(item: UploadItem) -> Upload:
    return Upload(
        upload_id=item.upload_id,
        owner=item.owner,
        purpose=item.purpose,
        content_type=item.content_type,
        size=int(item.size),
        object_key=item.object_key,
        status=item.status,
        created_at=item.created_at,
        rejection=item.rejection,
        checked_at=item.checked_at,
        attached_to=item.attached_to,
        checked_version=item.checked_version,
    )


def create(upload: Upload) -> None:
    item = UploadItem(
        uploads_pk(upload.owner),
        upload_sk(upload.upload_id),
        upload_id=upload.upload_id,
        owner=upload.owner,
        purpose=upload.purpose,
        content_type=upload.content_type,
        size=upload.size,
        object_key=upload.object_key,
        status=upload.status,
        created_at=upload.created_at,
    )
    with storage_errors():
        put_unless_exists(item)


def get(owner: str, upload_id: str) -> Upload | None:
    item = find(UploadItem, uploads_pk(owner), upload_sk(upload_id))
    return _upload(item) if item else None


def get_many(owner: str, upload_ids: Iterable[str]) -> dict[str, Upload]:
    """upload_id -> the upload, for those of this owner that exist."""
    wanted = sorted(set(upload_ids))
    found: dict[str, Upload] = {}
    with storage_errors():
        for start in range(0, len(wanted), BATCH_GET_MAX):
            keys = [(uploads_pk(owner), upload_sk(u)) for u in wanted[start : start + BATCH_GET_MAX]]
            for item in MainItem.batch_get(keys, consistent_read=True):
                if isinstance(item, UploadItem):
                    found[item.upload_id] = _upload(item)
    return found


def of_owner(owner: str) -> list[Upload]:
    """Everything this person uploaded (their data, and its deletion)."""
    with storage_errors():
        return [_upload(i) for i in MainItem.query(uploads_pk(owner)) if isinstance(i, UploadItem)]


def record_check(
    owner: str,
    upload_id: str,
    *,
    status: str,
    size: int,
    rejection: str | None,
    now: str,
    version: str | None = None,
) -> Upload | None:
    """pending -> accepted | rejected, once. None when it was decided already (or is missing)."""
    u = UploadItem
    item = UploadItem(uploads_pk(owner), upload_sk(upload_id))
    actions: list[Any] = [u.status.set(status), u.size.set(size), u.checked_at.set(now)]
    if version:
        actions.append(u.checked_version.set(version))
    if rejection:
        actions.append(u.rejection.set(rejection))
    with storage_errors():
        try:
            item.update(actions=actions, condition=u.pk.exists() & (u.status == "pending"))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
    return _upload(item)


def mark_attached(owner: str, upload_ids: Iterable[str], target: str) -> None:
    """Record which record accepted uploads were handed in with (only accepted ones)."""
    u = UploadItem
    with storage_errors():
        for upload_id in sorted(set(upload_ids)):
            try:
                UploadItem(uploads_pk(owner), upload_sk(upload_id)).update(
                    actions=[u.attached_to.set(target)],
                    condition=u.pk.exists() & (u.status == "accepted"),
                )
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise


def attached_to(owner: str, target: str) -> list[Upload]:
    """The person's accepted uploads handed in with this record, oldest first."""
    return [u for u in of_owner(owner) if u.attached_to == target and u.status == "accepted"]


# --- objects ------------------------------------------------------------------------------------


def _bucket() -> str:
    return settings().uploads_bucket


def stored_document(upload: Upload) -> dict[str, Any]:
    """What a record keeps of a document attached to it; `version` pins reads to the object that
    was checked."""
    doc: dict[str, Any] = {
        "upload_key": upload.upload_id,
        "content_type": upload.content_type,
        "size": upload.size,
    }
    if upload.checked_version:
        doc["version"] = upload.checked_version
    return doc


def presigned_post(key: str, *, content_type: str, max_bytes: int, expires_s: int) -> s3.PresignedPost:
    return s3.presigned_post(
        _bucket(), key, content_type=content_type, max_bytes=max_bytes, expires_s=expires_s
    )


def presigned_get(
    key: str,
    *,
    expires_s: int,
    content_type: str,
    version: str | None = None,
    filename: str | None = None,
) -> str:
    """A short-lived link to read the object (the checked `version` of it), served with the
    type it was checked to be."""
    return s3.presigned_get(
        _bucket(), key, expires_s=expires_s, content_type=content_type, version=version, filename=filename
    )


@dataclass(frozen=True)
class Head:
    """The first bytes of a stored object, its full size and its version."""

    data: bytes
    size: int
    content_type: str | None
    version: str | None = None


def read_head(key: str, *, version: str | None = None, length: int = SNIFF_BYTES) -> Head:
    """The first `length` bytes (a Range GET: a 10 MB file costs 16 bytes); ObjectMissing when
    it is gone."""
    params: dict[str, Any] = {"Bucket": _bucket(), "Key": key, "Range": f"bytes=0-{length - 1}"}
    if version and version != "null":
        params["VersionId"] = version
    with s3.s3_errors():
        try:
            response = s3.client().get_object(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # an empty object
                return Head(b"", 0, None)
            raise
        with response["Body"] as body:
            data = bytes(body.read(length))
    size = _total_size(response, len(data))
    return Head(data, size, response.get("ContentType"), response.get("VersionId") or version)


def _total_size(response: dict[str, Any], read: int) -> int:
    content_range = str(response.get("ContentRange") or "")  # "bytes 0-15/123456"
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    return int(response.get("ContentLength", read))


def delete(key: str) -> None:
    """Remove the object (a delete marker: the bucket is versioned, and its lifecycle expires the
    noncurrent version a day later)."""
    with s3.s3_errors():
        s3.client().delete_object(Bucket=_bucket(), Key=key)


def erase(key: str) -> None:
    """Remove every version of the object and its delete markers (a person's deletion: nothing
    may wait for the lifecycle). Only the admin function holds the rights this needs."""
    with s3.s3_errors():
        client = s3.client()
        versions = client.list_object_versions(Bucket=_bucket(), Prefix=key)
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
            if v["Key"] == key
        ]
        if objects:
            client.delete_objects(Bucket=_bucket(), Delete={"Objects": objects, "Quiet": True})


def exists(key: str) -> bool:
    with s3.s3_errors():
        try:
            s3.client().head_object(Bucket=_bucket(), Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
    return True
