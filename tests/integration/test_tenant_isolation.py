"""Staff of one government never reach another's data: every staff route of the topology."""

from __future__ import annotations

import re

import pytest

from furusato import topology
from tests.support.lambda_api import call, operator_claims, registrant_claims
from tests.support.world import admin, onboard

TARGET, OTHER = "212172", "131041"
STAFF_ROUTES = [route for _, route in topology.all_routes() if route.auth == "staff"]
OPERATOR_ROUTES = [route for _, route in topology.all_routes() if route.auth == "operator"]
REGISTRANT_ROUTES = [route for _, route in topology.all_routes() if route.auth == "registrant"]


def _path(route: topology.Route, lg_code: str = TARGET) -> str:
    path = route.path.replace("{lg_code}", lg_code)
    return re.sub(r"\{\w+\}", "x0000000000", path)


def _ids(route: topology.Route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=_ids)
def test_staff_of_another_government_get_403(route: topology.Route) -> None:
    onboard(TARGET, OTHER)
    for role in ("admin", "coordinator", "viewer"):
        reply = call(route.method, _path(route), {}, claims=admin(OTHER, role))
        assert reply.status == 403 and reply.error_code == "FORBIDDEN", (role, reply)


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=_ids)
def test_a_removed_or_unknown_staff_account_is_refused(route: topology.Route) -> None:
    """The staff record, not the token, decides: a removed account, an account nobody created and
    a token claiming a higher role than its account all get 401 before the route runs."""
    onboard(TARGET)
    boss, viewer = admin(TARGET), admin(TARGET, "viewer")
    removed = call("DELETE", f"/v1/admin/lgs/{TARGET}/staff/{viewer['sub']}", claims=boss)
    assert removed.status == 204, removed
    raised = {**admin(TARGET, "coordinator"), "custom:staff_role": "admin"}
    for claims in (viewer, {**boss, "sub": "nobody-created-me"}, raised):
        reply = call(route.method, _path(route), {}, claims=claims)
        assert reply.status == 401 and reply.error_code == "UNAUTHENTICATED", (claims["sub"], reply)


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=_ids)
def test_registrants_and_operators_are_not_staff(route: topology.Route) -> None:
    onboard(TARGET)
    for claims in (registrant_claims("u1"), operator_claims()):
        reply = call(route.method, _path(route), {}, claims=claims)
        assert reply.status == 403, reply


@pytest.mark.parametrize("route", OPERATOR_ROUTES, ids=_ids)
def test_only_operators_reach_operator_routes(route: topology.Route) -> None:
    for claims in (registrant_claims("u1"), admin(TARGET)):
        reply = call(route.method, _path(route), {}, claims=claims)
        assert reply.status == 403, reply


@pytest.mark.parametrize("route", STAFF_ROUTES + OPERATOR_ROUTES + REGISTRANT_ROUTES, ids=_ids)
def test_no_token_is_401(route: topology.Route) -> None:
    reply = call(route.method, _path(route), {}, claims=None)
    assert reply.status == 401 and reply.error_code == "UNAUTHENTICATED", reply


def test_staff_list_shows_only_their_own_registrations() -> None:
    onboard(TARGET, OTHER)
    for sub, code in (("u1", TARGET), ("u2", OTHER), ("u3", OTHER)):
        call(
            "PUT",
            f"/v1/me/registrations/{code}",
            {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}},
            claims=registrant_claims(sub),
        )
    mine = call("GET", f"/v1/admin/lgs/{TARGET}/registrations", claims=admin(TARGET, "viewer")).body["items"]
    assert [r["lg_code"] for r in mine] == [TARGET]
    theirs = call("GET", f"/v1/admin/lgs/{OTHER}/registrations", claims=admin(OTHER)).body
    assert len(theirs["items"]) == 2 and all(r["lg_code"] == OTHER for r in theirs["items"])


def test_staff_lists_and_audit_trails_are_each_governments_own() -> None:
    onboard(TARGET, OTHER)
    mine, theirs = admin(TARGET), admin(OTHER)
    admin(OTHER, "viewer")
    call("GET", f"/v1/admin/lgs/{OTHER}/registrations", claims=theirs)
    staff = call("GET", f"/v1/admin/lgs/{TARGET}/staff", claims=mine).body["items"]
    assert [s["staff_id"] for s in staff] == [mine["sub"]]
    assert call("GET", f"/v1/admin/lgs/{TARGET}/audit", claims=mine).body["items"] == []
    assert call("GET", f"/v1/admin/lgs/{OTHER}/audit", claims=theirs).body["items"]
    # Another government's account is not found here, nor removable.
    other_viewer = admin(OTHER, "viewer")["sub"]
    assert call("DELETE", f"/v1/admin/lgs/{TARGET}/staff/{other_viewer}", claims=mine).status == 404


def test_a_cursor_of_another_government_is_refused() -> None:
    onboard(TARGET, OTHER)
    for sub in ("u1", "u2", "u3"):
        call(
            "PUT",
            f"/v1/me/registrations/{OTHER}",
            {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}},
            claims=registrant_claims(sub),
        )
    first = call(
        "GET", f"/v1/admin/lgs/{OTHER}/registrations", claims=admin(OTHER), query={"limit": "1"}
    ).body
    assert first["next_cursor"]
    stolen = call(
        "GET",
        f"/v1/admin/lgs/{TARGET}/registrations",
        claims=admin(TARGET),
        query={"cursor": first["next_cursor"]},
    )
    assert stolen.status == 400 and stolen.error_code == "VALIDATION_ERROR"


def _other_governments_objects() -> dict[str, str]:
    """A support measure, an application (with a document) and a registration of OTHER."""
    from tests.support.support_world import apply, new_measure, registrant, upload, world

    world()
    onboard(OTHER)
    registrant("u9", OTHER)
    measure = new_measure(OTHER)
    application = apply("u9", measure["measure_id"], attachment_keys=[upload("u9")]).body
    return {
        "measure_id": measure["measure_id"],
        "application_id": application["application_id"],
        "registration_id": f"reg-u9-{OTHER}",
    }


OBJECT_ROUTES = [
    route
    for route in STAFF_ROUTES
    if re.search(r"\{(measure_id|application_id|registration_id)\}", route.path)
    and not route.path.endswith("/review")
]
BODIES = {
    "decision": {"decision": "approve"},
    "payment": {"paid_on": "2027-05-10", "reference": "R"},
    "{measure_id}": {"name": "x"},
}


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=_ids)
def test_objects_of_another_government_are_not_found(route: topology.Route) -> None:
    ids = _other_governments_objects()
    path = route.path.replace("{lg_code}", TARGET)
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    body = next(
        (b for suffix, b in BODIES.items() if route.method != "GET" and route.path.endswith(suffix)), None
    )
    for role in ("admin", "coordinator"):
        reply = call(route.method, path, body, claims=admin(TARGET, role))
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", (role, reply)


def test_support_lists_show_only_their_own_government() -> None:
    _other_governments_objects()
    for path in ("support-measures", "support-applications"):
        reply = call("GET", f"/v1/admin/lgs/{TARGET}/{path}", claims=admin(TARGET))
        assert reply.status == 200 and reply.body["items"] == [], reply
    export = call("GET", f"/v1/admin/lgs/{TARGET}/support-applications/export", claims=admin(TARGET))
    assert export.status == 200


def test_a_support_cursor_of_another_government_is_refused() -> None:
    from tests.support.support_world import apply, new_measure, registrant, world

    world()
    onboard(OTHER)
    measure = new_measure(OTHER)
    for sub in ("u7", "u8"):
        registrant(sub, OTHER)
        apply(sub, measure["measure_id"])
    for path in ("support-applications", "support-measures"):
        if path == "support-measures":
            new_measure(OTHER, name="二つ目")
        first = call("GET", f"/v1/admin/lgs/{OTHER}/{path}", claims=admin(OTHER), query={"limit": "1"}).body
        assert first["next_cursor"], path
        stolen = call(
            "GET",
            f"/v1/admin/lgs/{TARGET}/{path}",
            claims=admin(TARGET),
            query={"cursor": first["next_cursor"]},
        )
        assert stolen.status == 400 and stolen.error_code == "VALIDATION_ERROR", (path, stolen)


CONTENT_OBJECT_ROUTES = [r for r in STAFF_ROUTES if "{content_id}" in r.path or "{consultation_id}" in r.path]


@pytest.mark.parametrize("route", CONTENT_OBJECT_ROUTES, ids=_ids)
def test_another_governments_content_and_consultations_are_404(route: topology.Route) -> None:
    """Staff of OTHER, on their own government's path, with a real id of TARGET's object."""
    onboard(TARGET, OTHER)
    call(
        "PUT",
        f"/v1/me/registrations/{TARGET}",
        {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}},
        claims=registrant_claims("u1"),
    )
    content = call(
        "POST",
        f"/v1/admin/lgs/{TARGET}/contents",
        {"kind": "news", "title": "t", "body": "b"},
        claims=admin(TARGET),
    ).body
    consultation = call(
        "POST",
        "/v1/me/consultations",
        {"lg_code": TARGET, "topic": "other", "subject": "s", "message": "m"},
        claims=registrant_claims("u1"),
    ).body
    path = (
        route.path.replace("{lg_code}", OTHER)
        .replace("{content_id}", content["content_id"])
        .replace("{consultation_id}", consultation["consultation_id"])
    )
    body = {"title": "x"} if route.method == "PATCH" else {"body": "x"} if path.endswith("messages") else None
    reply = call(route.method, path, body, claims=admin(OTHER))
    assert reply.status == 404 and reply.error_code == "NOT_FOUND", reply


PARTICIPATION_ROUTES = [r for r in STAFF_ROUTES if "{participation_id}" in r.path]


@pytest.mark.parametrize("route", PARTICIPATION_ROUTES, ids=_ids)
def test_another_governments_participations_are_404(route: topology.Route) -> None:
    """Staff of OTHER, on their own government's path, with the real ids of an unconfirmed
    participation of TARGET's activity: not found, and the participation stays undecided."""
    from datetime import datetime

    from tests.integration.checkin_helpers import activity, at, scan, static_token

    onboard(TARGET, OTHER)
    at(datetime.fromisoformat("2026-05-10T09:30:00+09:00"))
    created = activity(TARGET)
    token = static_token(TARGET, created["activity_id"])
    at(datetime.fromisoformat("2026-05-10T20:00:00+09:00"))  # after the window: unconfirmed
    scanned = scan("u1", token, scanned_at="2026-05-10T10:05:00+09:00").body["participation"]
    assert scanned["status"] == "unconfirmed"
    path = (
        route.path.replace("{lg_code}", OTHER)
        .replace("{activity_id}", created["activity_id"])
        .replace("{participation_id}", scanned["participation_id"])
    )
    for role in ("admin", "coordinator"):
        reply = call(route.method, path, {"decision": "confirm"}, claims=admin(OTHER, role))
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", (role, reply)
    roster = call(
        "GET",
        f"/v1/admin/lgs/{TARGET}/activities/{created['activity_id']}/participants",
        claims=admin(TARGET),
    ).body["items"]
    assert [line["status"] for line in roster] == ["unconfirmed"]
