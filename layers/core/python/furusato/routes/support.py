"""Support measures and applications: the public list, the registrant's applications, and the
coordinators' measures, decisions, payments, report and export (docs/support.md).

Measures, decisions and payments: admin and coordinator. Lists, reads and reports: any staff
role but organization staff. Every staff read of applications (and their documents) is recorded.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import audit
from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.capabilities import deleted_accounts, support
from furusato.shapes import support as shapes
from furusato.shapes.common import PAGING_QUERY, page_of

router = Router()

MANAGERS = frozenset({"admin", "coordinator"})
STAFF = "/v1/admin/lgs/<lg_code>"
MEASURE_PAGE = page_of("SupportMeasurePage", shapes.MEASURE)
APPLICATION_PAGE = page_of("SupportApplicationPage", shapes.APPLICATION)
PURPOSE = "support measure administration"


# --- public ---------------------------------------------------------------------------------------


@router.get("/v1/local-governments/<lg_code>/support-measures")
@endpoint(
    router,
    "Open support measures of a government (no budget figures)",
    responses={200: page_of("PublicSupportMeasurePage", shapes.PUBLIC_MEASURE)},
)
def public_measures(lg_code: str) -> Response[Any]:
    return json_response(200, page(support.public_measures(lg_code), None))


# --- registrant ---------------------------------------------------------------------------------


@router.post("/v1/me/support-applications")
@endpoint(
    router,
    "Apply for a support measure (409 NOT_ELIGIBLE, MEASURE_CLOSED, BUDGET_EXHAUSTED; 400 AMOUNT_OVER_LIMIT)",
    body=shapes.APPLICATION_IN,
    responses={201: shapes.APPLICATION},
    idempotent=True,
    errors=(
        "NOT_ELIGIBLE",
        "MEASURE_CLOSED",
        "BUDGET_EXHAUSTED",
        "RETURN_GIFT_NOT_ALLOWED",
        "AMOUNT_OVER_LIMIT",
        "CONCURRENT_UPDATE",
    ),
)
def submit(body: dict[str, Any]) -> Response[Any]:
    who = auth.registrant(router)
    return json_response(201, support.submit(who.sub, body))


@router.get("/v1/me/support-applications")
@endpoint(
    router,
    "My support applications, newest first",
    query=PAGING_QUERY,
    responses={200: APPLICATION_PAGE},
)
def my_applications(query: dict[str, Any]) -> Response[Any]:
    who = auth.registrant(router)
    items, next_cursor = support.mine(who.sub, limit=query["limit"], cursor=query["cursor"])
    deleted_accounts.refuse_empty_page(who.sub, items, query["cursor"])
    return json_response(200, page(items, next_cursor))


@router.get("/v1/me/support-applications/<application_id>")
@endpoint(router, "One of my support applications", responses={200: shapes.APPLICATION})
def my_application(application_id: str) -> Response[Any]:
    who = auth.registrant(router)
    return json_response(200, support.get_mine(who.sub, application_id))


@router.patch("/v1/me/support-applications/<application_id>")
@endpoint(
    router,
    "Amend an application whose information was requested (back to submitted)",
    body=shapes.APPLICATION_PATCH,
    responses={200: shapes.APPLICATION},
    errors=("NOT_AMENDABLE", "RETURN_GIFT_NOT_ALLOWED", "AMOUNT_OVER_LIMIT", "CONCURRENT_UPDATE"),
)
def amend(application_id: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.registrant(router)
    return json_response(200, support.amend(who.sub, application_id, body))


# --- staff: measures ----------------------------------------------------------------------------


@router.post(f"{STAFF}/support-measures")
@endpoint(
    router,
    "Create a support measure (400 RETURN_GIFT_NOT_ALLOWED unless delivery is in_area)",
    body=shapes.MEASURE_IN,
    responses={201: shapes.MEASURE},
    idempotent=True,
    errors=("RETURN_GIFT_NOT_ALLOWED",),
)
def create_measure(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    return json_response(201, support.create_measure(lg_code, body, sub=who.sub))


@router.get(f"{STAFF}/support-measures")
@endpoint(router, "Support measures of this government", query=PAGING_QUERY, responses={200: MEASURE_PAGE})
def list_measures(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = support.list_measures(lg_code, limit=query["limit"], cursor=query["cursor"])
    return json_response(200, page(items, next_cursor))


@router.get(f"{STAFF}/support-measures/<measure_id>")
@endpoint(router, "A support measure with its budget", responses={200: shapes.MEASURE})
def get_measure(lg_code: str, measure_id: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, support.get_measure(lg_code, measure_id))


@router.patch(f"{STAFF}/support-measures/<measure_id>")
@endpoint(
    router,
    "Edit a support measure or move it forward (draft -> open -> closed)",
    body=shapes.MEASURE_PATCH,
    responses={200: shapes.MEASURE},
    errors=("INVALID_TRANSITION", "BUDGET_BELOW_APPROVED", "CONCURRENT_UPDATE"),
)
def patch_measure(lg_code: str, measure_id: str, body: dict[str, Any]) -> Response[Any]:
    auth.staff(router, lg_code, MANAGERS)
    return json_response(200, support.update_measure(lg_code, measure_id, body))


@router.get(f"{STAFF}/support-measures/<measure_id>/report")
@endpoint(
    router,
    "The measure's spending report (budget, approved, paid, remaining, count per status)",
    responses={200: shapes.REPORT},
)
def measure_report(lg_code: str, measure_id: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, support.report(lg_code, measure_id))


# --- staff: applications ------------------------------------------------------------------------


@router.get(f"{STAFF}/support-applications")
@endpoint(
    router,
    "Support applications of this government, newest first (documents as short-lived URLs)",
    query=shapes.APPLICATIONS_QUERY,
    responses={200: APPLICATION_PAGE},
)
def list_applications(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = support.staff_list(
        lg_code, status=query["status"], limit=query["limit"], cursor=query["cursor"]
    )
    audit.staff_access(
        who,
        lg_code,
        action="read",
        resource="support-applications",
        purpose=PURPOSE,
        records=len(
            items,
        ),
    )
    return json_response(200, page(items, next_cursor))


# Registered before `<application_id>`: the literal segment wins, as in API Gateway.
@router.get(f"{STAFF}/support-applications/export")
@endpoint(
    router,
    "Approved, not yet paid applications as xlsx for the finance system (send Accept: the xlsx media "
    "type through API Gateway)",
    query=shapes.EXPORT_QUERY,
    responses={200: None},
    media=support.XLSX,
)
def export_applications(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    data, rows = support.export_approved(lg_code)
    audit.staff_access(
        who,
        lg_code,
        action="export",
        resource="support-applications?status=approved",
        purpose=PURPOSE,
        records=rows,
    )
    return Response(
        status_code=200,
        content_type=support.XLSX,
        body=data,
        headers={
            "Content-Disposition": f'attachment; filename="support-approved-{lg_code}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.get(f"{STAFF}/support-applications/<application_id>")
@endpoint(
    router, "A support application (documents as short-lived URLs)", responses={200: shapes.APPLICATION}
)
def get_application(lg_code: str, application_id: str) -> Response[Any]:
    who = auth.staff(router, lg_code, auth.READERS)
    view = support.staff_get(lg_code, application_id)
    audit.staff_access(
        who,
        lg_code,
        action="read",
        resource=f"support-applications/{application_id}",
        purpose=PURPOSE,
        records=1,
    )
    return json_response(200, view)


@router.post(f"{STAFF}/support-applications/<application_id>/decision")
@endpoint(
    router,
    "Decide: approve (within the rules and the remaining budget), reject, or request information",
    body=shapes.DECISION_IN,
    responses={200: shapes.APPLICATION},
    errors=("NOT_DECIDABLE", "BUDGET_EXHAUSTED", "MEASURE_CLOSED", "CONCURRENT_UPDATE"),
)
def decide(lg_code: str, application_id: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    view = support.decide(lg_code, application_id, body, by=who.sub)
    audit.staff_access(
        who,
        lg_code,
        action="decide",
        resource=f"support-applications/{application_id}",
        purpose=PURPOSE,
        records=1,
    )
    return json_response(200, view)


@router.post(f"{STAFF}/support-applications/<application_id>/payment")
@endpoint(
    router,
    "Record the payment of an approved application (once)",
    body=shapes.PAYMENT_IN,
    responses={200: shapes.APPLICATION},
    errors=("ALREADY_PAID", "NOT_PAYABLE", "CONCURRENT_UPDATE"),
)
def pay(lg_code: str, application_id: str, body: dict[str, Any]) -> Response[Any]:
    who = auth.staff(router, lg_code, MANAGERS)
    view = support.pay(lg_code, application_id, body, by=who.sub)
    audit.staff_access(
        who,
        lg_code,
        action="pay",
        resource=f"support-applications/{application_id}",
        purpose=PURPOSE,
        records=1,
    )
    return json_response(200, view)
