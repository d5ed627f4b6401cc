"""Onboarding (rule 1): a government joins when the operator onboards it and issues its first admin."""

from __future__ import annotations

from typing import Any

from furusato import clock
from furusato.domain.errors import Conflict, invalid_field
from furusato.domain.lg import LocalGovernment, check_onboarding
from furusato.domain.lg_code import is_valid_lg_code
from furusato.settings import settings
from furusato.store import lgs


def onboard(*, lg_code: str, name: str, kind: Any, prefecture_code: str) -> dict[str, Any]:
    check_onboarding(lg_code, kind, prefecture_code)
    lg = LocalGovernment(
        lg_code=lg_code,
        name=name.strip(),
        kind=kind,
        prefecture_code=prefecture_code,
        onboarded_at=clock.iso(clock.now()),
    )
    lgs.onboard(lg)
    return {**lg.summary(), "onboarded_at": lg.onboarded_at}


def list_onboarded(*, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = lgs.list_directory(
        prefecture_code=None, kind=None, q=None, limit=limit, cursor=cursor
    )
    return [{**lg.summary(), "onboarded_at": lg.onboarded_at} for lg in items], next_cursor


def create_staff(lg_code: str, email: str, staff_role: str) -> dict[str, Any]:
    """Create the staff user in the staff user pool; its lg_code and staff_role attributes are
    set here and cannot be changed by the user. Cognito e-mails the temporary password."""
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    lgs.require(lg_code)
    import boto3  # only this operator route talks to Cognito

    pool_id = settings().staff_user_pool_id
    if not pool_id:
        raise RuntimeError("FURUSATO_STAFF_USER_POOL_ID is not configured")
    cognito = boto3.client("cognito-idp", region_name=settings().region)
    try:
        user = cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:lg_code", "Value": lg_code},
                {"Name": "custom:staff_role", "Value": staff_role},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )["User"]
    except cognito.exceptions.UsernameExistsException as exc:
        raise Conflict("a staff user with this e-mail exists", code="STAFF_ALREADY_EXISTS") from exc
    return {
        "lg_code": lg_code,
        "staff_role": staff_role,
        "status": user.get("UserStatus", "FORCE_CHANGE_PASSWORD"),
    }
