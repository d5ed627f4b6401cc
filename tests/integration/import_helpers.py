"""Backfill imports driven as in AWS: the staff routes through `lambda_handler`, the file uploaded
with the presigned POST to the moto server, the S3 event built as S3 sends it."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from datetime import UTC, datetime
from typing import Any

import requests

from furusato import topology
from infra.local.aws import client
from infra.local.dispatch import s3_event
from tests.fixtures.imports import official, rezip, sample_rows
from tests.support.lambda_api import LambdaContext, Reply, call, handler_module
from tests.support.world import admin

LG = "212172"  # 飛騨市
OTHER = "131041"  # 新宿区
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOW = "2027-04-01T10:00:00+09:00"  # after every sample row
MiB = 1024 * 1024

# The source's sample postal codes are fictitious; a profile needs a real one (it fixes the
# residence). These are real codes of the sample rows' own cities.
REAL_POSTAL = {
    "佐藤 健一": "160-0022",
    "鈴木 美咲": "530-0001",
    "高橋 亮介": "900-0001",
    "田中 優子": "260-0001",
    "渡辺 大輝": "812-0011",
    "山本 彩": "060-0001",
    "中村 悠真": "460-0001",
    "小林 智子": "930-0001",
    "加藤 拓真": "760-0001",
    "吉田 美優": "500-8001",
}
GENDER = {"男性": "male", "女性": "female"}


def real_rows() -> list[list[str]]:
    """The 14 sample rows with real postal codes (names, dates, places as in the source)."""
    rows = sample_rows()
    for row in rows:
        row[7] = REAL_POSTAL[row[6]]
    return rows


def real_sample() -> bytes:
    return official(real_rows())


def facts(name: str) -> dict[str, str]:
    """A profile body with the facts of a sample person."""
    row = next(r for r in real_rows() if r[6] == name)
    y, m, d = (int(x) for x in row[9].split("/"))
    return {
        "name": name,
        "birth_date": f"{y:04d}-{m:02d}-{d:02d}",
        "gender": GENDER[row[10]],
        "postal_code": row[7],
        "address": row[8],
    }


def bucket() -> str:
    return os.environ[topology.IMPORTS_BUCKET.env_var]


def s3(endpoint: str) -> Any:
    return client("s3", endpoint)


def start(
    lg_code: str = LG, *, dry_run: bool = False, filename: str = "実績.xlsx", role: str = "admin"
) -> Reply:
    return call(
        "POST",
        f"/v1/admin/lgs/{lg_code}/imports",
        {"filename": filename, "dry_run": dry_run},
        claims=admin(lg_code, role),
    )


def upload(created: dict[str, Any], data: bytes, *, name: str = "実績.xlsx") -> requests.Response:
    """The browser-form upload a clerk's tool sends to the presigned POST."""
    form = created["upload"]
    return requests.post(form["url"], data=form["fields"], files={"file": (name, data, XLSX)}, timeout=30)


def event_for(endpoint: str, key: str, version: str | None = None) -> dict[str, Any]:
    """The ObjectCreated event S3 sends for the object's (latest) version."""
    params: dict[str, Any] = {"Bucket": bucket(), "Key": key}
    if version:
        params["VersionId"] = version
    head = s3(endpoint).head_object(**params)
    return s3_event(
        bucket=bucket(),
        key=key,
        size=int(head["ContentLength"]),
        etag=str(head["ETag"]).strip('"'),
        version_id=str(head.get("VersionId") or "null"),
        event_name="ObjectCreated:Post",
        event_time=datetime.now(UTC),
    )


def deliver(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = handler_module("imports").lambda_handler(event, context or LambdaContext())
    return result


def put_direct(endpoint: str, key: str, data: bytes) -> dict[str, Any]:
    """An object put by a municipality's own tool (no job beforehand); its event."""
    s3(endpoint).put_object(Bucket=bucket(), Key=key, Body=data, ContentType=XLSX)
    return event_for(endpoint, key)


def job(import_id: str, lg_code: str = LG, role: str = "admin") -> Reply:
    return call("GET", f"/v1/admin/lgs/{lg_code}/imports/{import_id}", claims=admin(lg_code, role))


def commit(import_id: str, lg_code: str = LG, role: str = "admin") -> Reply:
    return call("POST", f"/v1/admin/lgs/{lg_code}/imports/{import_id}/commit", claims=admin(lg_code, role))


def run_import(endpoint: str, data: bytes, *, dry_run: bool = False) -> tuple[str, dict[str, Any]]:
    """POST /imports, upload, deliver the event: (import_id, the event)."""
    created = start(dry_run=dry_run)
    assert created.status == 201, created
    assert upload(created.body, data).status_code in (200, 201, 204)
    event = event_for(endpoint, created.body["upload"]["fields"]["key"])
    deliver(event)
    return created.body["import_id"], event


def download(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def binary_body(reply: Reply) -> bytes:
    return base64.b64decode(reply.body)


def dump(endpoint: str) -> list[dict[str, Any]]:
    """Every item of the main table but the staff accounts (the test world's sign-ins, not what
    an import wrote), sorted by key (raw DynamoDB JSON)."""
    ddb = client("dynamodb", endpoint)
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=os.environ[topology.MAIN_TABLE.env_var]):
        items += [item for item in page["Items"] if item.get("type", {}).get("S") != "staff"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def types(items: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        kind = item.get("type", {}).get("S", "?")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def zip_bomb() -> bytes:
    """A few hundred KB that inflate to 200 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * MiB
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            for _ in range(200):
                entry.write(chunk)
    return out.getvalue()


def macro_workbook() -> bytes:
    return rezip(real_sample(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really a macro"})
