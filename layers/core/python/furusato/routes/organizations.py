"""Staff of a local government: organizations (関係団体) that run activities."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.domain.activity import Actor
from furusato.domain.errors import InvalidInput
from furusato.shapes import checkins as shapes
from furusato.shapes.common import PAGING_QUERY, given

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()

ALL_STAFF = frozenset({"admin", "coordinator", "viewer", "org"})
MANAGERS = frozenset({"admin", "coordinator", "org"})


def staff_actor(lg_code: str, roles: frozenset[str]) -> Actor:
    who = auth.staff(router, lg_code, roles)
    assert who.lg_code is not None and who.staff_role is not None
    return Actor(sub=who.sub, lg_code=who.lg_code, staff_role=who.staff_role, org_id=who.org_id)


@router.post("/v1/admin/lgs/<lg_code>/organizations")
@endpoint(
    router,
    "Register an organization (admin)",
    body=shapes.ORGANIZATION_IN,
    responses={201: shapes.ORGANIZATION},
    idempotent=True,
    roles=auth.ADMIN,
)
def create_organization(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, auth.ADMIN)
    return json_response(201, activities.create_organization(actor, **body))


@router.get("/v1/admin/lgs/<lg_code>/organizations")
@endpoint(
    router,
    "Organizations (organization staff: their own)",
    query=PAGING_QUERY,
    responses={200: shapes.ORGANIZATION_PAGE},
)
def list_organizations(lg_code: str, query: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, ALL_STAFF)
    items, next_cursor = activities.list_organizations(actor, **query)
    return json_response(200, page(items, next_cursor))


@router.get("/v1/admin/lgs/<lg_code>/organizations/<org_id>")
@endpoint(router, "An organization", responses={200: shapes.ORGANIZATION})
def get_organization(lg_code: str, org_id: str) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, ALL_STAFF)
    return json_response(200, activities.get_organization(actor, org_id))


@router.patch("/v1/admin/lgs/<lg_code>/organizations/<org_id>")
@endpoint(
    router,
    "Change an organization (admin); all_activities designates all its activities",
    body=shapes.ORGANIZATION_PATCH,
    responses={200: shapes.ORGANIZATION},
    errors=("CONCURRENT_UPDATE",),
    roles=auth.ADMIN,
)
def patch_organization(lg_code: str, org_id: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import activities

    actor = staff_actor(lg_code, auth.ADMIN)
    changes = given(body)
    if not changes:
        raise InvalidInput("nothing to change", details={"body": "name at least one field"})
    return json_response(200, activities.update_organization(actor, org_id, changes))
