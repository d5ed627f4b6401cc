"""The registrant's own data: /v1/me, profile and registrations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato import clock
from furusato.api import auth, idempotency
from furusato.api.app import json_response, no_content, page
from furusato.api.endpoint import endpoint
from furusato.domain.errors import invalid_field
from furusato.domain.profile import make_profile
from furusato.shapes.common import page_of
from furusato.shapes.people import ME, PROFILE, PROFILE_IN
from furusato.shapes.registrations import REGISTRATION, REGISTRATION_IN, REGISTRATION_PUT

# Each route imports its capability: a cold start of the function loads only what its request needs.
router = Router()


@router.get("/v1/me")
@endpoint(router, "Profile, identity and registrations", responses={200: ME})
def get_me() -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.registrant(router)
    return json_response(200, registrations.me(who.sub))


@router.put("/v1/me/profile")
@endpoint(
    router,
    "Set the profile; the residence follows the postal code",
    body=PROFILE_IN,
    responses={200: PROFILE},
    errors=("IDENTITY_LOCKED", "CONCURRENT_UPDATE"),
)
def put_profile(body: dict[str, Any]) -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.registrant(router)
    profile = make_profile(**body, today=clock.today())
    return json_response(200, registrations.put_profile(who.sub, profile))


@router.get("/v1/me/registrations")
@endpoint(router, "My registrations", responses={200: page_of("RegistrationPage", REGISTRATION)})
def list_my_registrations() -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.registrant(router)
    return json_response(200, page(registrations.list_registrations(who.sub), None))


@router.put("/v1/me/registrations/<lg_code>")
@endpoint(
    router,
    "Register with a local government, or update the registration",
    body=REGISTRATION_IN,
    responses={200: REGISTRATION_PUT, 201: REGISTRATION_PUT, 202: REGISTRATION_PUT},
    idempotent=idempotency.OWN_REPLY,
    errors=(
        "LG_NOT_ONBOARDED",
        "SURVEY_INCOMPLETE",
        "IDENTITY_NOT_VERIFIED",
        "OWN_RESIDENCE_NOT_ALLOWED",
        "NOT_ENOUGH_ACTIVITIES",
        "PREMIUM_LIMIT_REACHED",
        "CONCURRENT_UPDATE",
    ),
)
def put_registration(lg_code: str, body: dict[str, Any], reply_key: tuple[str, str] | None) -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.registrant(router)
    document_keys = body.get("document_keys") or []
    if document_keys and body["plan"] != "premium":
        raise invalid_field("document_keys", "only with plan premium")
    # Documents are checked before anything changes, and marked once the application stands.
    if document_keys:
        from furusato.capabilities import uploads  # only requests that hand documents in

        uploads.attach(who.sub, document_keys, purpose="review_document", field="document_keys")
    # The answer to a keyed request is kept with the registration's own write: no extra round trip.
    status, view = registrations.put_registration(
        who.sub,
        lg_code,
        body["plan"],
        body["survey_answers"],
        auto_upgrade=body.get("auto_upgrade"),
        keyed=reply_key,
    )
    if document_keys:
        uploads.hand_in(who.sub, document_keys, view["registration_id"])
    return json_response(status, view)


@router.delete("/v1/me/registrations/<lg_code>")
@endpoint(router, "Withdraw a registration", responses={204: None}, errors=("CONCURRENT_UPDATE",))
def delete_registration(lg_code: str) -> Response[Any]:
    from furusato.capabilities import registrations

    who = auth.registrant(router)
    registrations.withdraw_registration(who.sub, lg_code)
    return no_content()
