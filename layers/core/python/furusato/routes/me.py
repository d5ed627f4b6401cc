"""The registrant's own data: /v1/me, profile and registrations."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from furusato import clock
from furusato.api import auth, idempotency
from furusato.api.app import json_response, no_content, page
from furusato.api.models import ProfileIn, RegistrationIn
from furusato.capabilities import registrations
from furusato.domain.profile import make_profile

router = Router()


@router.get("/v1/me")
def get_me() -> Response[Any]:
    who = auth.registrant(router)
    return json_response(200, registrations.me(who.sub))


@router.put("/v1/me/profile")
def put_profile(body: Annotated[ProfileIn, Body()]) -> Response[Any]:
    who = auth.registrant(router)
    profile = make_profile(**body.model_dump(), today=clock.today())
    return json_response(200, registrations.put_profile(who.sub, profile))


@router.get("/v1/me/registrations")
def list_my_registrations() -> Response[Any]:
    who = auth.registrant(router)
    return json_response(200, page(registrations.list_registrations(who.sub), None))


@router.put("/v1/me/registrations/<lg_code>")
def put_registration(
    lg_code: str,
    body: Annotated[RegistrationIn, Body()],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response[Any]:
    who = auth.registrant(router)

    def create() -> Response[Any]:
        status, view = registrations.put_registration(who.sub, lg_code, body.plan, body.survey_answers)
        return json_response(status, view)

    return idempotency.run(
        sub=who.sub,
        key=idempotency_key,
        route=f"PUT /v1/me/registrations/{lg_code}",
        body=json.loads(body.model_dump_json()),
        create=create,
    )


@router.delete("/v1/me/registrations/<lg_code>")
def delete_registration(lg_code: str) -> Response[Any]:
    who = auth.registrant(router)
    registrations.withdraw_registration(who.sub, lg_code)
    return no_content()
