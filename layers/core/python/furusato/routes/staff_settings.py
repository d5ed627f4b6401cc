"""Staff of a local government: premium settings and the registrations list."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from furusato.api import auth
from furusato.api.app import DEFAULT_LIMIT, MAX_LIMIT, json_response, page
from furusato.api.models import SettingsIn
from furusato.domain.lg import PremiumSettings, check_settings
from furusato.store import lgs, people

router = Router()


@router.get("/v1/admin/lgs/<lg_code>/settings")
def get_settings(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, lgs.require(lg_code).settings.to_dict())


@router.put("/v1/admin/lgs/<lg_code>/settings")
def put_settings(lg_code: str, body: Annotated[SettingsIn, Body()]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    lg = lgs.require(lg_code)
    settings = check_settings(lg.kind, PremiumSettings(**body.model_dump()))
    lgs.save_settings(lg_code, settings)
    return json_response(200, settings.to_dict())


@router.get("/v1/admin/lgs/<lg_code>/registrations")
def list_registrations(
    lg_code: str,
    plan: Annotated[str | None, Query(pattern=r"^(basic|premium)$")] = None,
    status: Annotated[str | None, Query(pattern=r"^(active|pending_review|lapsed|withdrawn)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    items, next_cursor = people.list_for_lg(lg_code, plan=plan, status=status, limit=limit, cursor=cursor)
    return json_response(
        200,
        page(
            [
                {
                    "registration_id": r.registration_id,
                    "lg_code": r.lg_code,
                    "plan": r.plan,
                    "status": r.status,
                    "own_residence": r.own_residence,
                    "auto_created": r.auto_created,
                    "registered_at": r.registered_at,
                    "survey_answers": r.survey_answers,
                    "premium": (
                        {"valid_until": r.premium_valid_until, "long_term_stayer": r.long_term_stayer}
                        if r.plan == "premium"
                        else None
                    ),
                }
                for r in items
            ],
            next_cursor,
        ),
    )
