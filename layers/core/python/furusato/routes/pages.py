"""Staff of a local government: the introduction page and the government's own survey questions."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from furusato import clock
from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.models import PageIn, SurveyIn
from furusato.domain.lg import Page
from furusato.domain.survey import parse_own_questions
from furusato.store import lgs

router = Router()


@router.get("/v1/admin/lgs/<lg_code>/page")
def get_page(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, lgs.require(lg_code).page.to_dict())


@router.put("/v1/admin/lgs/<lg_code>/page")
def put_page(lg_code: str, body: Annotated[PageIn, Body()]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    page = Page(title=body.title.strip(), body=body.body, updated_at=clock.iso(clock.now()))
    lgs.save_page(lg_code, page)
    return json_response(200, page.to_dict())


@router.get("/v1/admin/lgs/<lg_code>/survey")
def get_survey(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    lg = lgs.require(lg_code)
    return json_response(200, {"questions": [_own(q.to_dict()) for q in lg.own_questions]})


@router.put("/v1/admin/lgs/<lg_code>/survey")
def put_survey(lg_code: str, body: Annotated[SurveyIn, Body()]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    questions = parse_own_questions([q.model_dump() for q in body.questions])
    lgs.save_own_questions(lg_code, questions)
    return json_response(200, {"questions": [_own(q.to_dict()) for q in questions]})


def _own(question: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in question.items() if k != "source"}
