"""A registrant sees everything held about them, and deletes it (rule 24)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import auth
from furusato.api.app import json_response, no_content
from furusato.api.endpoint import endpoint
from furusato.shapes.people import MY_DATA

router = Router()


@router.get("/v1/me/data")
@endpoint(router, "Everything held about me", responses={200: MY_DATA})
def my_data() -> Response[Any]:
    from furusato.capabilities import data_rights  # reaches every store: kept off the admin cold start

    who = auth.registrant(router)
    return json_response(200, data_rights.export(who.sub))


@router.delete("/v1/me")
@endpoint(
    router,
    "Withdraw every registration and delete my personal data everywhere it lives",
    responses={204: None},
)
def delete_me() -> Response[Any]:
    from furusato.capabilities import data_rights

    who = auth.registrant(router)
    data_rights.delete(who.sub)
    return no_content()
