"""Staff of a local government: the introduction page and the government's own survey questions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import clock
from furusato.api import auth, models
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.domain.lg import Page
from furusato.domain.survey import Question, parse_own_questions
from furusato.store import lgs

router = Router()


@router.get("/v1/admin/lgs/<lg_code>/page")
@endpoint(router, "The introduction page", responses={200: models.PAGE})
def get_page(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, lgs.require(lg_code).page.to_dict())


@router.put("/v1/admin/lgs/<lg_code>/page")
@endpoint(
    router,
    "Publish the introduction page (admin)",
    body=models.PAGE_IN,
    responses={200: models.PAGE},
    roles=auth.ADMIN,
)
def put_page(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    lgs.require(lg_code)
    page = Page(title=body["title"].strip(), body=body["body"], updated_at=clock.iso(clock.now()))
    lgs.save_page(lg_code, page)
    return json_response(200, page.to_dict())


@router.get("/v1/admin/lgs/<lg_code>/survey")
@endpoint(router, "The government's own survey questions", responses={200: models.SURVEY})
def get_survey(lg_code: str) -> Response[Any]:
    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, _survey(lgs.require(lg_code).own_questions))


@router.put("/v1/admin/lgs/<lg_code>/survey")
@endpoint(
    router,
    "Replace the own survey questions (admin)",
    body=models.SURVEY,
    responses={200: models.SURVEY},
    roles=auth.ADMIN,
)
def put_survey(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    auth.staff(router, lg_code, auth.ADMIN)
    questions = parse_own_questions(body["questions"])
    lgs.save_own_questions(lg_code, questions)
    return json_response(200, _survey(questions))


def _survey(questions: tuple[Question, ...]) -> dict[str, Any]:
    return {"questions": [{k: v for k, v in q.to_dict().items() if k != "source"} for q in questions]}
