"""S3 `ObjectCreated` notifications for the local stack.

In AWS the imports bucket notifies its function for each object created under a prefix. moto
stores objects but cannot run our Lambdas, and presigned uploads (POST or PUT) go straight to
moto's endpoint without passing the gateway. So the local stack polls: a background thread lists
the notifying buckets about once a second (and at once after a request that may have written one),
and invokes the notify function in-process, once per object version, with the event S3 would send.

moto runs in this process, so it can also tell whether an object came from a PUT or a POST: its
own notification hook is wrapped to remember that, which the event's `eventName` then reports.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from moto.core import DEFAULT_ACCOUNT_ID

from furusato import topology
from infra.local.aws import REGION, client
from infra.local.host import failure_summary
from infra.local.poller import Poller

log = logging.getLogger("infra.local")

Invoke = Callable[[topology.Function, dict[str, Any]], Any]
Exists = Callable[[str], bool]


# --- which upload made an object: PUT or POST -------------------------------------------------

_HINTS_MAX = 10_000
_hints: OrderedDict[tuple[str, str, str, str], str] = OrderedDict()
_hints_lock = threading.Lock()
_hook_installed = False


def _remember(bucket: str, key: str, version_id: str, etag: str, event_name: str) -> None:
    with _hints_lock:
        _hints[(bucket, key, version_id, etag)] = event_name
        while len(_hints) > _HINTS_MAX:
            _hints.popitem(last=False)


def upload_kind(bucket: str, key: str, version_id: str, etag: str) -> str:
    """`ObjectCreated:Post` for a browser-form upload, else `ObjectCreated:Put`."""
    with _hints_lock:
        return _hints.get((bucket, key, version_id, etag), "ObjectCreated:Put")


def install_upload_hook() -> None:
    """Wrap moto's S3 notification call to learn each new object's event name (idempotent)."""
    global _hook_installed
    with _hints_lock:
        if _hook_installed:
            return
        _hook_installed = True
    from moto.s3 import notifications

    original = notifications.send_event

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        name = str(getattr(event_name, "value", event_name))
        if name.startswith("s3:ObjectCreated:"):
            _remember(bucket.name, key.name, str(key.version_id), key.etag.strip('"'), name[3:])
        original(account_id, event_name, bucket, key)

    notifications.send_event = send_event


# --- the dispatcher ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    bucket: topology.Bucket
    physical_name: str
    function: topology.Function


def watches(bucket_names: dict[str, str]) -> list[Watch]:
    """Buckets of the topology that notify a function; `bucket_names` maps env var -> name."""
    out = []
    for bucket in topology.BUCKETS:
        if bucket.notify_function and bucket.env_var in bucket_names:
            out.append(Watch(bucket, bucket_names[bucket.env_var], topology.function(bucket.notify_function)))
    return out


def s3_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    version_id: str | None,
    event_name: str,
    event_time: datetime,
) -> dict[str, Any]:
    """One `ObjectCreated` record, shaped as S3 sends it to Lambda (key URL-encoded, `+` for space)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag}
    if version_id and version_id != "null":
        # S3 includes versionId only for objects of a versioned bucket.
        obj["versionId"] = version_id
    obj["sequencer"] = f"{int(event_time.timestamp() * 1_000_000):016X}"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "eventName": event_name,
                "userIdentity": {"principalId": f"AWS:{DEFAULT_ACCOUNT_ID}"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": secrets.token_urlsafe(48),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "local-object-created",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": DEFAULT_ACCOUNT_ID},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


class S3Dispatcher(Poller):
    """Finds new object versions under each notify prefix and invokes the notify function."""

    thread_name = "s3-dispatch"

    def __init__(
        self,
        endpoint_url: str,
        bucket_names: dict[str, str],
        invoke: Invoke,
        exists: Exists,
        *,
        interval_s: float = 1.0,
    ) -> None:
        super().__init__(interval_s)
        self.watches = watches(bucket_names)
        self._s3 = client("s3", endpoint_url)
        self._invoke = invoke
        self._exists = exists
        # Object versions seen this run: each is dispatched at most once.
        self._seen: set[tuple[str, ...]] = set()
        self._missing_logged: set[str] = set()
        self._poll_lock = threading.Lock()
        install_upload_hook()

    def poll_once(self) -> int:
        """Dispatch every object version not yet seen; returns how many were invoked."""
        invoked = 0
        with self._poll_lock:
            for watch in self.watches:
                invoked += self._poll_watch(watch)
        return invoked

    def _poll_watch(self, watch: Watch) -> int:
        new: list[dict[str, Any]] = []
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=watch.physical_name, Prefix=watch.bucket.notify_prefix or ""):
            for version in page.get("Versions", []):
                identity = _identity(watch.physical_name, version)
                if identity not in self._seen:
                    self._seen.add(identity)
                    new.append(version)
        if not new:
            return 0
        if not self._exists(watch.function.name):
            # As in AWS without a notification target: the objects stay, no event is sent.
            if watch.function.name not in self._missing_logged:
                self._missing_logged.add(watch.function.name)
                log.warning("S3 dispatch: function %s is not implemented yet; skipping", watch.function.name)
            return 0
        invoked = 0
        for version in sorted(new, key=lambda v: v["LastModified"]):
            etag = str(version["ETag"]).strip('"')
            version_id = str(version.get("VersionId") or "null")
            event = s3_event(
                bucket=watch.physical_name,
                key=version["Key"],
                size=int(version["Size"]),
                etag=etag,
                version_id=version_id,
                event_name=upload_kind(watch.physical_name, version["Key"], version_id, etag),
                event_time=version["LastModified"],
            )
            try:
                self._invoke(watch.function, event)
                invoked += 1
            except Exception as exc:
                # An asynchronous invocation: the uploader never sees it; the log does (the type
                # and frames only: a message may quote personal data).
                summary = json.dumps(failure_summary(exc))
                log.error("S3 dispatch: function %s failed: %s", watch.function.name, summary)
        return invoked

    def has_work(self) -> bool:
        return bool(self.watches)

    def step(self) -> int:
        return self.poll_once()


def _identity(bucket: str, version: dict[str, Any]) -> tuple[str, ...]:
    version_id = str(version.get("VersionId") or "null")
    if version_id != "null":
        return (bucket, version["Key"], version_id)
    # Unversioned bucket: an overwrite is a new object with its own ETag and time.
    return (bucket, version["Key"], str(version["ETag"]), str(version["LastModified"]))
