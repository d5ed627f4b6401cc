"""Uploads: a presigned POST for a person's file, the check once it is stored, and the
documents other records attach (docs/uploads.md).

    POST /v1/me/uploads -> pending --(ObjectCreated of its key, or an attach first)--> accepted
                                                                                   | rejected:
                                                                   object deleted, owner told

The check runs in the uploads bucket's notify function; attaching a still-pending upload runs the
same check at once, so a quick client never waits for the trigger. Either way the first decision
is stored (a conditional update) and the other finds it: redeliveries change nothing.

Logs carry ids and reason codes only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from furusato import clock
from furusato.clock import iso
from furusato.domain import uploads as rules
from furusato.domain.errors import InvalidInput, Unauthenticated
from furusato.domain.notifications import NotificationKind
from furusato.settings import settings
from furusato.store import notifications
from furusato.store import uploads as store
from furusato.store.ids import new_id
from furusato.store.s3 import ObjectCreated, PresignedPost
from furusato.views.upload import document_view, upload_view

logger = Logger(service="furusato", child=True)

UPLOAD_URL_TTL_S = 15 * 60
READ_URL_TTL_S = 5 * 60


def create(owner: str, *, purpose: str, content_type: str, size: int) -> dict[str, Any]:
    """POST /v1/me/uploads: a pending upload and the presigned POST that stores it."""
    return upload_view(*start(owner, purpose=purpose, content_type=content_type, size=size))


def start(owner: str, *, purpose: str, content_type: str, size: int) -> tuple[store.Upload, PresignedPost]:
    """A pending upload and the presigned POST that stores it (the policy enforces the rules)."""
    spec = rules.check_request(purpose, content_type, size)
    from furusato.store import personal_data

    if personal_data.is_gone(owner):  # a deleted account's leftover token stores nothing
        raise Unauthenticated("this account was deleted")
    upload_id = new_id("upl")
    key = rules.object_key(owner, upload_id)
    now = clock.now()
    upload = store.Upload(
        upload_id=upload_id,
        owner=owner,
        purpose=spec.name,
        content_type=content_type,
        size=size,
        object_key=key,
        status="pending",
        created_at=iso(now),
    )
    store.create(upload)
    post = store.presigned_post(
        key, content_type=content_type, max_bytes=spec.max_bytes, expires_s=UPLOAD_URL_TTL_S
    )
    logger.info("upload created", extra={"upload_id": upload_id, "purpose": purpose})
    return upload, post


def check(upload: store.Upload, *, version: str | None = None) -> store.Upload:
    """Judge a pending upload's stored object: accepted, or rejected (object deleted, owner told).
    A decided upload is returned as it is; a missing object leaves it pending (not stored yet)."""
    if upload.status != "pending":
        return upload
    try:
        head = store.read_head(upload.object_key, version=version)
    except store.ObjectMissing:
        return upload
    spec = rules.ALL_PURPOSES.get(upload.purpose)
    reason = (
        rules.judge(spec, upload.content_type, head.data, head.size) if spec is not None else "type_mismatch"
    )
    now = clock.now()
    decided = store.record_check(
        upload.owner,
        upload.upload_id,
        status="rejected" if reason else "accepted",
        size=head.size,
        rejection=reason,
        now=iso(now),
        version=head.version,
    )
    if decided is None:  # another check decided first
        return store.get(upload.owner, upload.upload_id) or upload
    if reason:
        _reject(decided, reason)
    logger.info("upload checked", extra={"upload_id": upload.upload_id, "outcome": reason or "accepted"})
    return decided


def _reject(upload: store.Upload, reason: str) -> None:
    store.delete(upload.object_key)
    title, body = rules.rejection_notice(reason)
    notifications.notify(
        upload.owner,
        NotificationKind.UPLOAD_REJECTED,
        title=title,
        body=body,
        lg_code=None,
        dedupe_key=upload.upload_id,
    )


# --- the bucket's ObjectCreated trigger ------------------------------------------------------


def on_object_created(event: ObjectCreated) -> str:
    """Check the upload an object belongs to. Returns what happened (for logs and tests)."""
    if event.bucket != settings().uploads_bucket:
        return "ignored:unknown_bucket"
    parsed = rules.parse_object_key(event.key)
    if parsed is None:
        # Not made by POST /v1/me/uploads: nobody may read it, so it is not kept.
        store.delete(event.key)
        logger.warning("upload ignored", extra={"reason": "unexpected_key"})
        return "deleted:unexpected_key"
    owner, upload_id = parsed
    upload = store.get(owner, upload_id)
    if upload is None:
        store.delete(event.key)
        logger.warning("upload ignored", extra={"reason": "unknown_upload", "upload_id": upload_id})
        return "deleted:unknown_upload"
    if upload.status != "pending" and event.version not in ("null", upload.checked_version):
        # Posted again to the key after the check: reads stay pinned to the checked version.
        logger.warning("upload replaced after its check", extra={"upload_id": upload_id})
        return f"ignored:already_{upload.status}"
    after = check(upload, version=event.version)
    return after.status if after.status == "accepted" else f"{after.status}:{after.rejection}"


# --- documents attached to other records -----------------------------------------------------


def attach(owner: str, upload_keys: list[str], *, purpose: str, field: str) -> list[dict[str, Any]]:
    """The documents `{upload_key, content_type, size}` for these keys: each must be an upload of
    this person, for this purpose, stored and accepted (checked now if the trigger has not run
    yet). Otherwise a 400 naming the key."""
    keys = list(dict.fromkeys(upload_keys))
    found = store.get_many(owner, [k for k in keys if rules.UPLOAD_ID.fullmatch(k)])
    errors: dict[str, str] = {}
    documents = []
    for index, key in enumerate(keys):
        upload = found.get(key)
        if upload is None or upload.purpose != purpose:
            errors[f"{field}[{index}]"] = f"not an upload of yours with purpose {purpose}"
            continue
        upload = check(upload)
        if upload.status == "pending":
            errors[f"{field}[{index}]"] = "the file has not been uploaded yet"
        elif upload.status == "rejected":
            errors[f"{field}[{index}]"] = f"the file was refused ({upload.rejection}) and removed"
        else:
            documents.append(store.stored_document(upload))
    if errors:
        raise InvalidInput("documents are not usable", details=errors)
    return documents


def signed_documents(owner: str, documents: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Attached documents with a short-lived `url` each (for the owner, or staff allowed to read
    the record they are attached to: the caller decides who)."""
    return [
        document_view(
            doc,
            store.presigned_get(
                rules.object_key(owner, doc["upload_key"]),
                expires_s=READ_URL_TTL_S,
                content_type=doc["content_type"],
                version=doc.get("version"),
            ),
        )
        for doc in documents or []
    ]


def hand_in(owner: str, upload_keys: list[str], target: str) -> None:
    """Mark checked documents (see `attach`) as handed in with a record, e.g. a registration."""
    store.mark_attached(owner, upload_keys, target)


def documents_of(owner: str, target: str) -> list[dict[str, Any]]:
    """The documents handed in with a record, each with a short-lived `url`."""
    return signed_documents(
        owner,
        [
            store.stored_document(u)
            for u in sorted(store.attached_to(owner, target), key=lambda u: u.upload_id)
        ],
    )
