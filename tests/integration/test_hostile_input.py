"""Hostile input: one text rule for every string, deep nesting, the individual number anywhere,
and blank values where a value is required. Each answer is a 400 naming the field, and nothing
is stored."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from furusato import topology
from tests.support.lambda_api import Reply, call, operator_claims
from tests.support.world import RELATIONSHIP, admin, onboard, person, register, set_profile

HIDA = "212172"
BASE = f"/v1/admin/lgs/{HIDA}"
ACTIVITY = {
    "name": "清掃",
    "starts_at": "2026-05-10T09:00:00+09:00",
    "ends_at": "2026-05-10T12:00:00+09:00",
    "place": "古川町",
}
TEXT_QUESTION = {"id": "memo", "label": "メモ", "type": "text", "required": False, "options": None}


def send(method: str, path: str, body: Any, claims: dict[str, str], **kwargs: Any) -> Reply:
    """As a client sends it over HTTP: JSON with \\u escapes, so lone surrogates survive."""
    return call(method, path, claims=claims, raw_body=json.dumps(body), **kwargs)


def refused(reply: Reply, field: str) -> str:
    assert reply.status == 400, reply
    details = reply.body["error"]["details"]
    assert field in details, details
    return str(details[field])


@pytest.fixture(autouse=True)
def _world() -> None:
    onboard(HIDA)


def _with_text_question() -> None:
    reply = call("PUT", f"{BASE}/survey", {"questions": [TEXT_QUESTION]}, claims=admin(HIDA))
    assert reply.status == 200, reply


# --- the text rule ----------------------------------------------------------------------------


def test_a_nul_in_a_profile_name_is_refused_and_nothing_is_stored() -> None:
    refused(set_profile("u1", name="山田\u0000花子"), "name")
    assert call("GET", "/v1/me", claims=person("u1")).body["profile"] is None


def test_a_lone_surrogate_in_a_survey_answer_is_refused() -> None:
    _with_text_question()
    assert set_profile("u1").status == 200
    body = {"plan": "basic", "survey_answers": {**RELATIONSHIP, "memo": "x\ud800y"}}
    refused(send("PUT", f"/v1/me/registrations/{HIDA}", body, person("u1")), "survey_answers.memo")
    listed = call("GET", f"{BASE}/registrations", claims=admin(HIDA))
    assert listed.status == 200 and listed.body["items"] == []


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "caller"),
    [
        ("PUT", f"{BASE}/page", {"title": "飛騨\ud800", "body": ""}, "title", "staff"),
        ("PUT", f"{BASE}/page", {"title": "飛騨", "body": "a\udc00"}, "body", "staff"),
        (
            "PUT",
            "/v1/me/profile",
            {
                "name": "山田",
                "birth_date": "1990-04-01",
                "gender": "female",
                "postal_code": "160-0022",
                "address": "新宿\udfff",
            },
            "address",
            "registrant",
        ),
        (
            "POST",
            f"{BASE}/organizations",
            {"name": "\ud83d会", "kind": "npo", "designation": "per_activity"},
            "name",
            "staff",
        ),
        ("POST", f"{BASE}/activities", {**ACTIVITY, "place": "古川\ud800"}, "place", "staff"),
        (
            "POST",
            "/v1/operator/lgs",
            {"lg_code": "131041", "name": "新宿\ud800", "kind": "municipality", "prefecture_code": "13"},
            "name",
            "operator",
        ),
        ("POST", f"{BASE}/imports", {"filename": "名簿\ud800.xlsx"}, "filename", "staff"),
        ("POST", f"{BASE}/activities", {**ACTIVITY, "name": "清\x85掃"}, "name", "staff"),
        ("POST", f"{BASE}/activities", {**ACTIVITY, "name": "清\x1b掃"}, "name", "staff"),
    ],
)
def test_lone_surrogates_and_control_characters_are_refused_naming_the_field(
    method: str, path: str, body: dict[str, Any], field: str, caller: str
) -> None:
    # Claims are made inside the test: a staff member's record must exist after the tables were emptied.
    claims = {"staff": lambda: admin(HIDA), "registrant": lambda: person("u1"), "operator": operator_claims}
    refused(send(method, path, body, claims[caller]()), field)


def test_a_lone_surrogate_in_a_field_name_is_echoed_escaped() -> None:
    reply = send("PUT", f"{BASE}/page", {"title": "t", "body": "", "x\ud800": 1}, admin(HIDA))
    assert reply.status == 400 and list(reply.body["error"]["details"]) == ["x\\ud800"], reply


def test_query_parameters_follow_the_text_rule() -> None:
    refused(call("GET", "/v1/local-governments", query={"q": "飛\u0000騨"}), "q")
    refused(call("GET", "/v1/local-governments", query={"q": "飛\ud800"}), "q")
    found = call("GET", "/v1/local-governments", query={"q": "  飛騨  "})
    assert found.status == 200 and [i["lg_code"] for i in found.body["items"]] == [HIDA]


def test_text_is_stored_in_nfc_and_trimmed() -> None:
    decomposed = "か\u3099き"  # が written as か + combining dakuten
    reply = call(
        "POST",
        f"{BASE}/organizations",
        {"name": f"  {decomposed}  ", "kind": "npo", "designation": "per_activity"},
        claims=admin(HIDA),
    )
    assert reply.status == 201 and reply.body["name"] == "がき", reply


def test_whitespace_only_activity_names_and_places_are_refused() -> None:
    for field in ("name", "place"):
        reply = call("POST", f"{BASE}/activities", {**ACTIVITY, field: " \u3000 "}, claims=admin(HIDA))
        assert refused(reply, field) == "must not be blank"


def test_e_mail_addresses_follow_the_text_rule() -> None:
    body = {"email": "a\u0000@example.jp", "staff_role": "viewer"}
    refused(send("POST", f"/v1/operator/lgs/{HIDA}/staff", body, operator_claims()), "email")


def test_multi_choice_answers_are_deduplicated_and_capped() -> None:
    assert set_profile("u1").status == 200
    reply = register("u1", HIDA, {"relationship": ["観光・訪問", " 観光・訪問", "出身地"]})
    assert reply.status == 201, reply
    listed = call("GET", f"{BASE}/registrations", claims=admin(HIDA)).body["items"]
    assert listed[0]["survey_answers"]["relationship"] == ["観光・訪問", "出身地"]
    refused(register("u2", HIDA, {"relationship": ["出身地"] * 51}), "survey_answers.relationship")


def test_numbers_too_large_for_a_float_are_refused() -> None:
    reply = call(
        "PUT", f"{BASE}/survey", {"questions": [{**TEXT_QUESTION, "type": "number"}]}, claims=admin(HIDA)
    )
    assert reply.status == 200
    assert set_profile("u1").status == 200
    body = {"plan": "basic", "survey_answers": {**RELATIONSHIP, "memo": 10**400}}
    refused(call("PUT", f"/v1/me/registrations/{HIDA}", body, claims=person("u1")), "survey_answers.memo")


# --- blank once trimmed -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["guardian_name", "relationship"])
def test_a_blank_guardian_consent_field_is_refused(field: str) -> None:
    consent = {
        "guardian_name": "山田 一郎",
        "relationship": "父",
        "consented_at": "2026-05-01T09:00:00+09:00",
    }
    body = {"assertion": "x" * 40, "guardian_consent": {**consent, field: " "}}
    reply = call("POST", "/v1/me/identity-verifications", body, claims=person("u1"))
    assert refused(reply, f"guardian_consent.{field}") == "must not be blank"


def test_a_blank_review_reason_is_refused() -> None:
    reply = call(
        "POST",
        f"{BASE}/registrations/reg_x/review",
        {"decision": "reject", "reason": "   "},
        claims=admin(HIDA),
    )
    assert refused(reply, "reason") == "must not be blank"


# --- the individual number --------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["私の個人番号は 123456789012 です", "1234.5678.9012", "1234 5678 9012", "１２３４－５６７８－９０１２"],
)
def test_an_individual_number_in_a_survey_text_is_refused(written: str) -> None:
    _with_text_question()
    assert set_profile("u1").status == 200
    body = {"plan": "basic", "survey_answers": {**RELATIONSHIP, "memo": written}}
    reply = call("PUT", f"/v1/me/registrations/{HIDA}", body, claims=person("u1"))
    assert refused(reply, "survey_answers.memo") == "must not contain an individual number"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", f"{BASE}/page", {"title": "飛騨", "body": "番号 1234-5678-9012"}, "body"),
        ("POST", f"{BASE}/activities", {**ACTIVITY, "conditions": "1234.5678.9012"}, "conditions"),
        (
            "POST",
            f"{BASE}/registrations/reg_x/review",
            {"decision": "reject", "reason": "123456789012"},
            "reason",
        ),
    ],
)
def test_an_individual_number_in_any_free_text_is_refused(
    method: str, path: str, body: dict[str, Any], field: str
) -> None:
    refused(call(method, path, body, claims=admin(HIDA)), field)


# --- deep nesting -----------------------------------------------------------------------------

WRITE_ROUTES = [
    route
    for _, route in topology.all_routes()
    if route.method in ("POST", "PUT", "PATCH", "DELETE") and route.auth != "public"
]


def _claims(route: topology.Route) -> dict[str, str]:
    return {
        "registrant": person("u1"),
        "staff": admin(HIDA),
        "operator": operator_claims(),
    }[route.auth]


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_bodies_nested_1000_deep_are_refused_on_every_write_route(route: topology.Route) -> None:
    path = re.sub(r"\{\w+\}", "x0", route.path.replace("{lg_code}", HIDA))
    for deep in ('{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000 + "]" * 100_000):
        reply = call(route.method, path, claims=_claims(route), raw_body=deep)
        assert reply.status == 400, (route, reply)


# --- role before body -------------------------------------------------------------------------

STAFF_WRITE_ROUTES = [r for r in WRITE_ROUTES if r.auth == "staff" and not r.reads]


@pytest.mark.parametrize("route", STAFF_WRITE_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_viewer_gets_403_before_any_body_check(route: topology.Route) -> None:
    path = re.sub(r"\{\w+\}", "x0", route.path.replace("{lg_code}", HIDA))
    for body in ('{"unknown": 1}', "not json", '{"a":' * 1000 + "1" + "}" * 1000):
        reply = call(route.method, path, claims=admin(HIDA, "viewer"), raw_body=body)
        assert reply.status == 403 and reply.error_code == "FORBIDDEN", (route, reply)


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("PUT", f"{BASE}/settings", "coordinator"),
        ("PUT", f"{BASE}/page", "org"),
        ("PUT", f"{BASE}/survey", "coordinator"),
        ("POST", f"{BASE}/organizations", "coordinator"),
        ("POST", f"{BASE}/registrations/reg_x/review", "org"),
        ("POST", f"{BASE}/stays", "org"),
        ("POST", f"{BASE}/imports", "org"),
    ],
)
def test_a_role_the_route_does_not_admit_gets_403_before_any_body_check(
    method: str, path: str, role: str
) -> None:
    claims = admin(HIDA, role, "org_01jc5x8k9z3h7q2m4n6p8r0tab" if role == "org" else None)
    reply = call(method, path, claims=claims, raw_body='{"unknown": 1}')
    assert reply.status == 403, reply


# --- cursors ----------------------------------------------------------------------------------


def test_a_tampered_cursor_is_a_400_on_every_list() -> None:
    forged = {
        "gsi1pk": {"S": "LGS"},
        "gsi1sk": {"N": "1"},
        "pk": {"S": "x"},
        "sk": {"S": "x"},
        "y": {"S": "1"},
    }
    raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    for path, claims in (
        ("/v1/local-governments", None),
        (f"{BASE}/registrations", admin(HIDA)),
        ("/v1/me/notifications", person("u1")),
        (f"{BASE}/activities", admin(HIDA)),
        ("/v1/me/participations", person("u1")),
    ):
        refused(call("GET", path, claims=claims, query={"cursor": raw}), "cursor")
