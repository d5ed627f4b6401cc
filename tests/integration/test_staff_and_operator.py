"""Staff settings, page, survey and registrations; operator onboarding and staff IDs."""

from __future__ import annotations

import boto3

from tests.support.lambda_api import call, operator_claims, registrant_claims
from tests.support.world import admin, onboard, register

HIDA, GIFU, TOKYO = "212172", "210005", "130001"
SETTINGS = {
    "min_activities": 4,
    "window": "fiscal_year",
    "long_stay_days": 12,
    "auto_approval": False,
    "inactivity_months": 18,
    "count_municipal_activities": False,
}


def test_admin_changes_settings_and_the_public_page_shows_them() -> None:
    onboard(HIDA)
    assert (
        call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=admin(HIDA, "viewer")).body["min_activities"]
        == 3
    )
    reply = call("PUT", f"/v1/admin/lgs/{HIDA}/settings", SETTINGS, claims=admin(HIDA))
    assert reply.status == 200 and reply.body == SETTINGS
    public = call("GET", f"/v1/local-governments/{HIDA}").body
    assert public["premium_requirements"] == {
        "min_activities": 4,
        "window": "fiscal_year",
        "long_stay_days": 12,
        "auto_approval": False,
    }


def test_settings_validation() -> None:
    onboard(HIDA, GIFU)
    for bad in (
        {"min_activities": 2},
        {"long_stay_days": 0},
        {"window": "calendar"},
        {"min_activities": "5"},
    ):
        reply = call("PUT", f"/v1/admin/lgs/{HIDA}/settings", {**SETTINGS, **bad}, claims=admin(HIDA))
        assert reply.status == 400 and set(bad) <= set(reply.body["error"]["details"]), reply
    reply = call(
        "PUT",
        f"/v1/admin/lgs/{HIDA}/settings",
        {**SETTINGS, "count_municipal_activities": True},
        claims=admin(HIDA),
    )
    assert reply.status == 400
    reply = call(
        "PUT",
        f"/v1/admin/lgs/{GIFU}/settings",
        {**SETTINGS, "count_municipal_activities": True},
        claims=admin(GIFU),
    )
    assert reply.status == 200
    missing = dict(SETTINGS)
    del missing["auto_approval"]
    assert call("PUT", f"/v1/admin/lgs/{HIDA}/settings", missing, claims=admin(HIDA)).status == 400
    assert call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=admin(HIDA)).body["min_activities"] == 3


def test_only_admins_change_things() -> None:
    onboard(HIDA)
    for role in ("coordinator", "viewer"):
        assert call("PUT", f"/v1/admin/lgs/{HIDA}/settings", SETTINGS, claims=admin(HIDA, role)).status == 403
        assert (
            call(
                "PUT", f"/v1/admin/lgs/{HIDA}/page", {"title": "t", "body": "b"}, claims=admin(HIDA, role)
            ).status
            == 403
        )
    # Organization staff see nothing of the government beyond their organization.
    assert call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=admin(HIDA, "org", "org1")).status == 403
    assert call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA, "org", "org1")).status == 403


def test_staff_of_a_government_not_onboarded_get_404() -> None:
    assert call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=admin(HIDA)).status == 404


def test_page_and_own_survey_appear_in_the_public_directory() -> None:
    onboard(HIDA)
    page = call(
        "PUT",
        f"/v1/admin/lgs/{HIDA}/page",
        {"title": "飛騨市へようこそ", "body": "古い町並み"},
        claims=admin(HIDA),
    )
    assert page.status == 200 and page.body["updated_at"]
    question = {"id": "visits", "label": "訪問回数", "type": "number", "required": True}
    survey = call("PUT", f"/v1/admin/lgs/{HIDA}/survey", {"questions": [question]}, claims=admin(HIDA))
    assert survey.status == 200 and survey.body == {"questions": [question]}
    assert call("GET", f"/v1/admin/lgs/{HIDA}/survey", claims=admin(HIDA, "viewer")).body == {
        "questions": [question]
    }
    public = call("GET", f"/v1/local-governments/{HIDA}").body
    assert public["page"]["title"] == "飛騨市へようこそ"
    assert [(q["id"], q["source"]) for q in public["survey"]] == [
        ("relationship", "standard"),
        ("interests", "standard"),
        ("visits", "own"),
    ]
    # The own required question is now enforced at registration.
    assert register("u1", HIDA).status == 400
    assert register("u1", HIDA, {"relationship": ["出身地"], "visits": 2}).status == 201


def test_bad_survey_is_refused_and_keeps_the_old_one() -> None:
    onboard(HIDA)
    bad = {"questions": [{"id": "relationship", "label": "x", "type": "text", "required": False}]}
    assert call("PUT", f"/v1/admin/lgs/{HIDA}/survey", bad, claims=admin(HIDA)).status == 400
    assert call("GET", f"/v1/admin/lgs/{HIDA}/survey", claims=admin(HIDA)).body == {"questions": []}


def test_registrations_list_filters_and_pages() -> None:
    onboard(HIDA)
    for sub in ("u1", "u2", "u3"):
        register(sub, HIDA)
    call("DELETE", f"/v1/me/registrations/{HIDA}", claims=registrant_claims("u2"))
    active = call(
        "GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA), query={"status": "active"}
    ).body
    assert len(active["items"]) == 2
    seen, cursor = [], None
    while True:
        query = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        body = call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA), query=query).body
        seen += [r["registration_id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 == len(set(seen))
    assert (
        call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA), query={"limit": "500"}).status
        == 400
    )


def test_onboarding_validates_and_refuses_duplicates() -> None:
    body = {"lg_code": HIDA, "name": "飛騨市", "kind": "municipality", "prefecture_code": "21"}
    assert call("POST", "/v1/operator/lgs", body, claims=operator_claims()).status == 201
    again = call("POST", "/v1/operator/lgs", body, claims=operator_claims())
    assert again.status == 409 and again.error_code == "ALREADY_ONBOARDED"
    for bad in (
        {"lg_code": "212173"},
        {"kind": "prefecture"},
        {"prefecture_code": "13"},
        {"lg_code": "21217"},
    ):
        reply = call("POST", "/v1/operator/lgs", {**body, **bad}, claims=operator_claims())
        assert reply.status == 400, (bad, reply)
    listed = call("GET", "/v1/operator/lgs", claims=operator_claims()).body["items"]
    assert [lg["lg_code"] for lg in listed] == [HIDA]


def test_directory_filters() -> None:
    onboard(HIDA, GIFU, TOKYO)
    everything = call("GET", "/v1/local-governments").body["items"]
    assert [lg["lg_code"] for lg in everything] == [TOKYO, GIFU, HIDA]
    gifu = call("GET", "/v1/local-governments", query={"prefecture_code": "21"}).body["items"]
    assert [lg["lg_code"] for lg in gifu] == [GIFU, HIDA]
    prefectures = call("GET", "/v1/local-governments", query={"kind": "prefecture"}).body["items"]
    assert [lg["lg_code"] for lg in prefectures] == [TOKYO, GIFU]
    named = call("GET", "/v1/local-governments", query={"q": "飛騨"}).body["items"]
    assert [lg["name"] for lg in named] == ["飛騨市"]
    assert call("GET", "/v1/local-governments", query={"prefecture_code": "1"}).status == 400
    assert call("GET", f"/v1/local-governments/{HIDA[:-1]}3").status == 400
    assert call("GET", "/v1/local-governments/322016").status == 404


def test_operator_issues_a_staff_id_in_the_staff_pool(clean_aws: str) -> None:
    onboard(HIDA)
    body = {"email": "kanri@city.hida.example.jp", "staff_role": "admin"}
    reply = call("POST", f"/v1/operator/lgs/{HIDA}/staff", body, claims=operator_claims())
    assert reply.status == 201 and reply.body["lg_code"] == HIDA
    import os

    cognito = boto3.client("cognito-idp", endpoint_url=clean_aws, region_name="ap-northeast-1")
    user = cognito.admin_get_user(
        UserPoolId=os.environ["FURUSATO_STAFF_USER_POOL_ID"], Username=body["email"]
    )
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:lg_code"] == HIDA and attributes["custom:staff_role"] == "admin"
    assert call("POST", f"/v1/operator/lgs/{HIDA}/staff", body, claims=operator_claims()).status == 409
    assert call("POST", "/v1/operator/lgs/322016/staff", body, claims=operator_claims()).status == 404


def test_a_directory_page_of_200_reads_listings_only() -> None:
    """Governments' pages (up to ~60 KB each) stay out of the directory index: a page of the 200
    longest real names (prefecture and municipality written in full, as in 和歌山県東牟婁郡那智勝浦町),
    with settings at their widest, reads at most 64 KB with room to spare, and the public answer
    may be cached for DIRECTORY_CACHE_S."""
    from furusato.store import lgs
    from tests.support.directory import onboard_longest
    from tests.support.roundtrips import count_bytes

    onboard_longest(200, page_chars=20_000)
    with count_bytes() as read:
        reply = call("GET", "/v1/local-governments", query={"limit": "200"})
    assert reply.status == 200 and len(reply.body["items"]) == 200
    assert reply.headers["Cache-Control"] == f"public, max-age={int(lgs.DIRECTORY_CACHE_S)}"
    assert 0 < read["Query"] <= 48 * 1024, read  # a quarter of the 64 KB budget to spare
    # The same page again comes from the function's copy; onboarding drops it.
    with count_bytes() as again:
        assert call("GET", "/v1/local-governments", query={"limit": "200"}).status == 200
    assert sum(again.values()) == 0
    onboard(HIDA)
    assert call("GET", "/v1/local-governments", query={"limit": "200"}).body["next_cursor"] is not None


def test_a_settings_change_drops_the_functions_directory_copy() -> None:
    """The settings route runs in the function that serves the directory: its change (the
    listing carries the inactivity period the sweep reads) is not served from that function's
    older copy."""
    from furusato.store import lgs
    from tests.support.roundtrips import count_calls

    onboard(HIDA)
    query = {"prefecture_code": None, "kind": None, "q": None, "limit": 200, "cursor": None}
    assert call("GET", "/v1/local-governments", query={"limit": "200"}).status == 200
    assert lgs.list_directory_cached(**query)[0][0].inactivity_months == 24
    assert call("PUT", f"/v1/admin/lgs/{HIDA}/settings", SETTINGS, claims=admin(HIDA)).status == 200
    with count_calls() as calls:
        assert call("GET", "/v1/local-governments", query={"limit": "200"}).status == 200
        (listing,), _ = lgs.list_directory_cached(**query)
    assert calls["Query"] >= 1 and listing.inactivity_months == SETTINGS["inactivity_months"]
