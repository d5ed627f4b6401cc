"""Health and discovery: public, no authentication."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from furusato.api.app import DEFAULT_LIMIT, MAX_LIMIT, json_response, page
from furusato.domain.errors import invalid_field
from furusato.domain.lg_code import is_valid_lg_code
from furusato.store import lgs

router = Router()


@router.get("/health")
def health() -> Response[Any]:
    return json_response(200, {"status": "ok"})


@router.get("/v1/local-governments")
def list_local_governments(
    prefecture_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^(prefecture|municipality)$")] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[Any]:
    items, next_cursor = lgs.list_directory(
        prefecture_code=prefecture_code, kind=kind, q=q, limit=limit, cursor=cursor
    )
    return json_response(200, page([lg.summary() for lg in items], next_cursor))


@router.get("/v1/local-governments/<lg_code>")
def get_local_government(lg_code: str) -> Response[Any]:
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    lg = lgs.require(lg_code)
    s = lg.settings
    return json_response(
        200,
        {
            **lg.summary(),
            "page": lg.page.to_dict(),
            "survey": [q.to_dict() for q in lg.survey],
            "premium_requirements": {
                "min_activities": s.min_activities,
                "window": s.window,
                "long_stay_days": s.long_stay_days,
                "auto_approval": s.auto_approval,
            },
        },
    )
