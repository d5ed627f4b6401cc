"""Staff of a local government: the introduction page and the government's own survey questions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response
from furusato.api.endpoint import endpoint
from furusato.shapes.governments import PAGE, PAGE_IMAGE_IN, PAGE_IMAGE_UPLOAD, PAGE_IN, SURVEY

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.get("/v1/admin/lgs/<lg_code>/page")
@endpoint(router, "The introduction page", responses={200: PAGE})
def get_page(lg_code: str) -> Response[Any]:
    from furusato.capabilities import pages

    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, pages.get_page(lg_code), headers={"Cache-Control": "no-store"})


@router.put("/v1/admin/lgs/<lg_code>/page")
@endpoint(
    router,
    "Publish the introduction page (admin); sections may show images uploaded through POST /page/images",
    body=PAGE_IN,
    responses={200: PAGE},
    roles=auth.ADMIN,
)
def put_page(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import pages

    auth.staff(router, lg_code, auth.ADMIN)
    return json_response(200, pages.put_page(lg_code, body), headers={"Cache-Control": "no-store"})


@router.post("/v1/admin/lgs/<lg_code>/page/images")
@endpoint(
    router,
    "Upload an image for the page (admin; JPEG or PNG, at most 5 MB): a presigned POST; the stored "
    "bytes are checked and a file that is not what it says is removed",
    body=PAGE_IMAGE_IN,
    responses={201: PAGE_IMAGE_UPLOAD},
    idempotent=True,
)
def new_page_image(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import pages

    auth.staff(router, lg_code, auth.ADMIN)
    view = pages.new_image(lg_code, content_type=body["content_type"], size=body["size"])
    return json_response(201, view, headers={"Cache-Control": "no-store"})


@router.get("/v1/admin/lgs/<lg_code>/survey")
@endpoint(router, "The government's own survey questions", responses={200: SURVEY})
def get_survey(lg_code: str) -> Response[Any]:
    from furusato.capabilities import governments

    auth.staff(router, lg_code, auth.READERS)
    return json_response(200, governments.get_survey(lg_code))


@router.put("/v1/admin/lgs/<lg_code>/survey")
@endpoint(
    router,
    "Replace the own survey questions (admin)",
    body=SURVEY,
    responses={200: SURVEY},
    roles=auth.ADMIN,
)
def put_survey(lg_code: str, body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import governments

    auth.staff(router, lg_code, auth.ADMIN)
    return json_response(200, governments.put_survey(lg_code, body["questions"]))
