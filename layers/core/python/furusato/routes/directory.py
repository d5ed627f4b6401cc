"""Health and discovery: public, no authentication."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.capabilities import pages
from furusato.domain.errors import invalid_field
from furusato.domain.lg_code import is_valid_lg_code
from furusato.shapes.common import HEALTH, page_of
from furusato.shapes.governments import DIRECTORY_QUERY, LG_DETAIL, LG_SUMMARY
from furusato.store import lgs

router = Router()


@router.get("/health")
@endpoint(router, "Liveness", responses={200: HEALTH})
def health() -> Response[Any]:
    return json_response(200, {"status": "ok"})


@router.get("/v1/local-governments")
@endpoint(
    router,
    "Onboarded local governments",
    query=DIRECTORY_QUERY,
    responses={200: page_of("LocalGovernmentPage", LG_SUMMARY)},
)
def list_local_governments(query: dict[str, Any]) -> Response[Any]:
    """Public and the same for everyone: served from this container's copy for up to
    lgs.DIRECTORY_CACHE_S and cacheable as long at the edge (a newly onboarded government appears
    within that time)."""
    items, next_cursor = lgs.list_directory_cached(**query)
    body = page([lg.summary() for lg in items], next_cursor)
    return json_response(
        200, body, headers={"Cache-Control": f"public, max-age={int(lgs.DIRECTORY_CACHE_S)}"}
    )


@router.get("/v1/local-governments/<lg_code>")
@endpoint(router, "A local government: page, survey, premium requirements", responses={200: LG_DETAIL})
def get_local_government(lg_code: str) -> Response[Any]:
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    lg = lgs.require(lg_code)
    s = lg.settings
    return json_response(
        200,
        {
            **lg.summary(),
            "page": pages.view_of(lg),
            "survey": [q.to_dict() for q in lg.survey],
            "premium_requirements": {
                "min_activities": s.min_activities,
                "window": s.window,
                "long_stay_days": s.long_stay_days,
                "auto_approval": s.auto_approval,
            },
        },
    )
