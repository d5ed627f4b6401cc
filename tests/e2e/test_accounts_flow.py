"""Over real HTTP: the operator onboards a government and its first admin; the admin adds a
coordinator and later removes them, who is then refused; a registrant downloads and deletes
their data; the government's audit trail shows the staff reads."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
MATSUMOTO = "202029"


def test_operator_admin_coordinator_registrant_and_the_trail(stack: StackClient) -> None:
    operator = stack.token("e2e-operator", "operator")
    onboarded = stack.post(
        "/v1/operator/lgs",
        token=operator,
        json={"lg_code": MATSUMOTO, "name": "松本市", "kind": "municipality", "prefecture_code": "20"},
    )
    assert onboarded.status_code == 201, onboarded.text
    first = stack.post(
        f"/v1/operator/lgs/{MATSUMOTO}/staff",
        token=operator,
        json={"email": "kanri@city.matsumoto.example.jp", "staff_role": "admin"},
    )
    assert first.status_code == 201, first.text
    # The admin signs in as the account the operator created (its id is the pool's sub).
    boss = stack.token(first.json()["staff_id"], "staff", lg_code=MATSUMOTO, staff_role="admin")
    # Signing in with a raised role is refused, as the pool's immutable attributes would.
    raised = stack.post(
        "/local/token",
        json={"sub": first.json()["staff_id"], "role": "staff", "lg_code": "212172", "staff_role": "admin"},
    )
    assert raised.status_code == 409

    invited = stack.post(
        f"/v1/admin/lgs/{MATSUMOTO}/staff",
        token=boss,
        json={"email": "tanto@city.matsumoto.example.jp", "staff_role": "coordinator"},
    )
    assert invited.status_code == 201, invited.text
    staff_id = invited.json()["staff_id"]
    clerk = stack.token(staff_id, "staff", lg_code=MATSUMOTO, staff_role="coordinator")
    listed = stack.get(f"/v1/admin/lgs/{MATSUMOTO}/staff", token=boss).json()["items"]
    assert {s["staff_role"] for s in listed} == {"admin", "coordinator"}

    # A registrant registers; the coordinator reads the registrations list.
    person = stack.token("e2e-accounts-person", "registrant")
    profile = {
        "name": "松本 澄香",
        "birth_date": "1979-11-03",
        "gender": "female",
        "postal_code": "390-0874",
        "address": "大手3-8-13",
    }
    assert stack.put("/v1/me/profile", token=person, json=profile).status_code == 200
    body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}}
    assert stack.put(f"/v1/me/registrations/{MATSUMOTO}", token=person, json=body).status_code == 201
    read = stack.get(f"/v1/admin/lgs/{MATSUMOTO}/registrations", token=clerk)
    assert read.status_code == 200 and len(read.json()["items"]) == 1

    # The admin removes the coordinator, whose very next request is refused; no new sign-in.
    assert stack.delete(f"/v1/admin/lgs/{MATSUMOTO}/staff/{staff_id}", token=boss).status_code == 204
    refused = stack.get(f"/v1/admin/lgs/{MATSUMOTO}/registrations", token=clerk)
    assert refused.status_code == 401, refused.text
    again = stack.post(
        "/local/token",
        json={"sub": staff_id, "role": "staff", "lg_code": MATSUMOTO, "staff_role": "coordinator"},
    )
    assert again.status_code == 401

    # The trail shows the coordinator's read, to the government and to the operator.
    trail = stack.get(f"/v1/admin/lgs/{MATSUMOTO}/audit", token=boss).json()["items"]
    assert any(
        r["actor"] == staff_id and r["action"] == "read" and r["resource"] == "registrations" for r in trail
    )
    national = stack.get("/v1/operator/audit", token=operator, params={"lg_code": MATSUMOTO}).json()
    assert national["items"] == trail
    assert "松本 澄香" not in str(trail)

    # The registrant downloads everything, then deletes it; the token opens nothing after.
    data = stack.get("/v1/me/data", token=person)
    assert data.status_code == 200
    assert data.json()["profile"]["name"] == "松本 澄香"
    assert [r["lg_code"] for r in data.json()["registrations"]] == [MATSUMOTO]
    assert stack.delete("/v1/me", token=person).status_code == 204
    assert stack.get("/v1/me", token=person).status_code in (401, 404)
    assert stack.get("/v1/me/data", token=person).status_code in (401, 404)
    remaining = stack.get(f"/v1/admin/lgs/{MATSUMOTO}/registrations", token=boss).json()["items"]
    assert remaining == []
