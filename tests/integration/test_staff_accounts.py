"""Staff accounts: the operator issues a government's admin, who invites and removes staff.
Removal takes effect on the next request; nobody raises their own role."""

from __future__ import annotations

import os
from typing import Any

import boto3

from tests.integration.checkin_helpers import org
from tests.support.lambda_api import call, operator_claims, staff_claims
from tests.support.world import admin, onboard

HIDA, TAKAYAMA = "212172", "212032"


def _pool(endpoint: str) -> tuple[Any, str]:
    client = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="ap-northeast-1")
    return client, os.environ["FURUSATO_STAFF_USER_POOL_ID"]


def _first_admin(lg_code: str = HIDA, email: str = "kanri@city.hida.example.jp") -> dict[str, str]:
    reply = call(
        "POST",
        f"/v1/operator/lgs/{lg_code}/staff",
        {"email": email, "staff_role": "admin"},
        claims=operator_claims(),
    )
    assert reply.status == 201, reply
    assert reply.body["staff_role"] == "admin" and reply.body["status"] == "active"
    # The staff id is the pool's `sub`: what the user's tokens will carry.
    return staff_claims(reply.body["staff_id"], lg_code, "admin")


def test_operator_onboards_an_admin_who_adds_and_removes_a_coordinator(clean_aws: str) -> None:
    onboard(HIDA)
    boss = _first_admin()
    invited = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/staff",
        {"email": "tanto@city.hida.example.jp", "staff_role": "coordinator"},
        claims=boss,
    )
    assert invited.status == 201, invited
    assert invited.body["email"] == "tanto@city.hida.example.jp" and invited.body["org_id"] is None
    cognito, pool = _pool(clean_aws)
    user = cognito.admin_get_user(UserPoolId=pool, Username="tanto@city.hida.example.jp")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:lg_code"] == HIDA and attributes["custom:staff_role"] == "coordinator"

    coordinator = staff_claims(invited.body["staff_id"], HIDA, "coordinator")
    assert call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=coordinator).status == 200
    listed = call("GET", f"/v1/admin/lgs/{HIDA}/staff", claims=boss).body["items"]
    assert {s["staff_role"] for s in listed} == {"admin", "coordinator"}

    removed = call("DELETE", f"/v1/admin/lgs/{HIDA}/staff/{invited.body['staff_id']}", claims=boss)
    assert removed.status == 204, removed
    # The very next request with the same, unexpired token is refused.
    refused = call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=coordinator)
    assert refused.status == 401 and refused.error_code == "UNAUTHENTICATED"
    remaining = call("GET", f"/v1/admin/lgs/{HIDA}/staff", claims=boss).body["items"]
    assert [s["staff_role"] for s in remaining] == ["admin"]
    users = cognito.list_users(UserPoolId=pool)["Users"]
    assert "tanto@city.hida.example.jp" not in {
        a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email"
    }
    # Removing again is harmless (a retry after a failed pool call finishes the job).
    again = call("DELETE", f"/v1/admin/lgs/{HIDA}/staff/{invited.body['staff_id']}", claims=boss)
    assert again.status == 204


def test_role_escalation_is_refused() -> None:
    onboard(HIDA, TAKAYAMA)
    boss, coordinator = admin(HIDA), admin(HIDA, "coordinator")
    # An admin cannot create an admin: only the operator does.
    made_admin = call(
        "POST", f"/v1/admin/lgs/{HIDA}/staff", {"email": "x@example.jp", "staff_role": "admin"}, claims=boss
    )
    assert made_admin.status == 400 and "staff_role" in made_admin.body["error"]["details"]
    # Below admin, nobody manages staff or reads the trail.
    for method, path, body in (
        ("POST", f"/v1/admin/lgs/{HIDA}/staff", {"email": "y@example.jp", "staff_role": "viewer"}),
        ("GET", f"/v1/admin/lgs/{HIDA}/staff", None),
        ("DELETE", f"/v1/admin/lgs/{HIDA}/staff/{boss['sub']}", None),
        ("GET", f"/v1/admin/lgs/{HIDA}/audit", None),
    ):
        for role in ("coordinator", "viewer"):
            reply = call(method, path, body, claims=admin(HIDA, role))
            assert reply.status == 403, (method, path, role, reply)
    # A token claiming more than the account holds (a raised role, another government, another
    # organization) is refused: the staff record, not the token, says who someone is.
    raised = staff_claims(coordinator["sub"], HIDA, "admin")
    assert call("GET", f"/v1/admin/lgs/{HIDA}/staff", claims=raised).status == 401
    moved = staff_claims(coordinator["sub"], TAKAYAMA, "coordinator")
    assert call("GET", f"/v1/admin/lgs/{TAKAYAMA}/registrations", claims=moved).status == 401
    # A staff member nobody created is no staff member at all.
    stranger = staff_claims("made-up", HIDA, "admin")
    assert call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=stranger).status == 401
    # Nobody removes their own account (an admin could leave the government without one).
    own = call("DELETE", f"/v1/admin/lgs/{HIDA}/staff/{boss['sub']}", claims=boss)
    assert own.status == 409 and own.error_code == "OWN_ACCOUNT"
    # Another government's staff id is not found here.
    other = admin(TAKAYAMA, "viewer")
    assert call("DELETE", f"/v1/admin/lgs/{HIDA}/staff/{other['sub']}", claims=boss).status == 404
    assert call("GET", f"/v1/admin/lgs/{TAKAYAMA}/registrations", claims=other).status == 200


def test_organization_staff_need_an_organization_of_the_government(clean_aws: str) -> None:
    onboard(HIDA, TAKAYAMA)
    boss = admin(HIDA)
    body: dict[str, Any] = {"email": "npo@example.jp", "staff_role": "org"}
    missing = call("POST", f"/v1/admin/lgs/{HIDA}/staff", body, claims=boss)
    assert missing.status == 400 and "org_id" in missing.body["error"]["details"]
    theirs = org(TAKAYAMA)
    foreign = call("POST", f"/v1/admin/lgs/{HIDA}/staff", {**body, "org_id": theirs["org_id"]}, claims=boss)
    assert foreign.status == 400
    ours = org(HIDA)
    made = call("POST", f"/v1/admin/lgs/{HIDA}/staff", {**body, "org_id": ours["org_id"]}, claims=boss)
    assert made.status == 201 and made.body["org_id"] == ours["org_id"], made
    viewer_with_org = {"email": "v@example.jp", "staff_role": "viewer", "org_id": ours["org_id"]}
    assert call("POST", f"/v1/admin/lgs/{HIDA}/staff", viewer_with_org, claims=boss).status == 400
    duplicate = call("POST", f"/v1/admin/lgs/{HIDA}/staff", {**body, "org_id": ours["org_id"]}, claims=boss)
    assert duplicate.status == 409 and duplicate.error_code == "STAFF_ALREADY_EXISTS"
