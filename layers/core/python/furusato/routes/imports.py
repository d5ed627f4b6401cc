"""Spreadsheet backfill (rule 19): the official template, uploads, jobs and commits.

Admins and coordinators manage imports; viewers read the template and jobs; organization staff
have no access. The file itself never passes through the API: it goes to S3 with the presigned
POST, and the bucket's ObjectCreated event starts the job (functions/imports/handler.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.capabilities.imports import jobs
from furusato.shapes import imports as shapes

router = Router()

PREFIX = "/v1/admin/lgs/<lg_code>/imports"
MANAGERS = frozenset({"admin", "coordinator"})
READERS = frozenset({"admin", "coordinator", "viewer"})
TEMPLATE_NAME = "令和8年4月以降における担い手活動実績記録用様式.xlsx"
TEMPLATE_ASCII_NAME = "furusato-backfill-template.xlsx"
PURPOSE = "activity backfill"


# Registered before `<import_id>`: the literal segment wins, as in API Gateway.
@router.get(f"{PREFIX}/template")
@endpoint(
    router,
    "The official backfill template (xlsx; send Accept: the xlsx media type through API Gateway)",
    responses={200: None},
    media=jobs.XLSX,
)
def get_template(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, READERS)
    disposition = f"attachment; filename=\"{TEMPLATE_ASCII_NAME}\"; filename*=UTF-8''{quote(TEMPLATE_NAME)}"
    return Response(
        status_code=200,
        content_type=jobs.XLSX,
        body=jobs.template(),
        headers={"Content-Disposition": disposition, "Cache-Control": "private, max-age=3600"},
    )


@router.post(PREFIX)
@endpoint(
    router,
    "Start an import: a job and a presigned POST for the file (xlsx, at most 10 MB)",
    body=shapes.IMPORT_IN,
    responses={201: shapes.IMPORT_CREATED},
    idempotent=True,
    roles=MANAGERS,
)
def create_import(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    view = jobs.create(lg_code, sub=who.sub, filename=body["filename"], dry_run=body["dry_run"])
    audit.staff_access(
        who, lg_code, action="upload", resource=f"imports/{view['import_id']}", purpose=PURPOSE
    )
    return json_response(201, view, headers={"Cache-Control": "no-store"})


@router.get(f"{PREFIX}/<import_id>")
@endpoint(router, "An import job: its status, counts and report", responses={200: shapes.IMPORT_JOB})
def get_import(lg_code: str, import_id: str) -> Response[Any]:
    who = auth.staff(router, lg_code, READERS)
    view = jobs.get(lg_code, import_id)
    if view.get("report_url"):
        # The report lists rejected rows as the file gave them: personal data.
        audit.staff_access(
            who, lg_code, action="read", resource=f"imports/{import_id}/report", purpose=PURPOSE
        )
    return json_response(200, view, headers={"Cache-Control": "no-store"})


@router.post(f"{PREFIX}/<import_id>/commit")
@endpoint(
    router,
    "Import a validated dry run's file (409 IMPORT_NOT_COMMITTABLE from any other state)",
    responses={202: shapes.IMPORT_JOB},
    idempotent=True,
    errors=("IMPORT_NOT_COMMITTABLE",),
    roles=MANAGERS,
)
def commit_import(lg_code: str, import_id: str) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    view = jobs.commit(lg_code, import_id, sub=who.sub)
    audit.staff_access(who, lg_code, action="commit", resource=f"imports/{import_id}", purpose=PURPOSE)
    return json_response(202, view)
