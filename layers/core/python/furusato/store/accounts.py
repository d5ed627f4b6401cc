"""The user pools (Cognito): the only code that calls Cognito's admin API.

Staff users are created with their government and role as attributes users cannot write
(docs/deploy.md), so a token's `custom:lg_code` and `custom:staff_role` are what the creator
chose. Used only by the `admin` function, the one holding these rights.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from furusato.domain.errors import Conflict, Unavailable
from furusato.settings import settings


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3  # only the admin function pays for it, on first use

    return boto3.client("cognito-idp", region_name=settings().region)


def _pool(pool_id: str | None, name: str) -> str:
    if not pool_id:
        raise Unavailable(f"the {name} user pool is not configured")
    return pool_id


def create_staff_user(*, email: str, lg_code: str, staff_role: str, org_id: str | None) -> str:
    """AdminCreateUser in the staff pool (Cognito e-mails the temporary password); the new
    user's `sub`, which is the staff id."""
    from botocore.exceptions import ClientError

    attributes = [
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:lg_code", "Value": lg_code},
        {"Name": "custom:staff_role", "Value": staff_role},
    ]
    if org_id:
        attributes.append({"Name": "custom:org_id", "Value": org_id})
    try:
        user = _client().admin_create_user(
            UserPoolId=_pool(settings().staff_user_pool_id, "staff"),
            Username=email,
            UserAttributes=attributes,
            DesiredDeliveryMediums=["EMAIL"],
        )["User"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UsernameExistsException":
            raise Conflict("a staff user with this e-mail exists", code="STAFF_ALREADY_EXISTS") from exc
        raise
    found = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    return str(found.get("sub") or user["Username"])


def delete_staff_user(username: str) -> None:
    """AdminDeleteUser: the person can no longer sign in; a user already gone is fine."""
    _delete(settings().staff_user_pool_id, "staff", username)


def delete_registrant_user(sub: str) -> None:
    """AdminDeleteUser in the registrants' pool. The local stack has none: nothing to delete."""
    if settings().registrant_user_pool_id:
        _delete(settings().registrant_user_pool_id, "registrant", sub)


def _delete(pool_id: str | None, name: str, username: str) -> None:
    from botocore.exceptions import ClientError

    try:
        _client().admin_delete_user(UserPoolId=_pool(pool_id, name), Username=username)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise
