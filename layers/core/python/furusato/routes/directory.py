"""Health and discovery: public, no authentication."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api.app import json_response, page
from furusato.api.endpoint import endpoint
from furusato.shapes.common import HEALTH, page_of
from furusato.shapes.governments import DIRECTORY_QUERY, LG_DETAIL, LG_SUMMARY

# Each route imports its capability: a cold start of the function loads only what its request needs.
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
    """Public and the same for everyone: a client (or a cache it goes through) may keep the answer
    as long as the function keeps its copy. API Gateway and the console's CloudFront keep none."""
    from furusato.capabilities import governments

    items, next_cursor = governments.directory(**query)
    max_age = governments.DIRECTORY_MAX_AGE_S
    return json_response(
        200, page(items, next_cursor), headers={"Cache-Control": f"public, max-age={max_age}"}
    )


@router.get("/v1/local-governments/<lg_code>")
@endpoint(router, "A local government: page, survey, premium requirements", responses={200: LG_DETAIL})
def get_local_government(lg_code: str) -> Response[Any]:
    from furusato.capabilities import governments

    return json_response(200, governments.detail(lg_code))
