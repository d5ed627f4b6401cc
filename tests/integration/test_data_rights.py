"""A registrant downloads everything held about them, then deletes it: afterwards no table and
no bucket holds their name, birth date or ids, and their token opens nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import boto3

from furusato import clock, topology
from furusato.capabilities.backfill import profile_match_key
from furusato.clock import JST
from furusato.domain.notifications import NotificationKind
from furusato.domain.profile import Profile
from furusato.store import matching, notifications
from infra.local.aws import physical_name
from tests.conftest import IDENTITY_PROVIDER
from tests.integration.checkin_helpers import NOW, activity, at, scan, static_token
from tests.support.lambda_api import call
from tests.support.support_world import apply, new_measure, upload
from tests.support.world import admin, identity_nonce, onboard, person, register, set_profile

HIDA, GIFU = "212172", "210005"
ME = "u-to-delete"
NAME, BIRTH = "蒼井 澪央", "1985-07-15"
# Searched for separately: stored names may be normalised (spaces).
NAME_PARTS = ("蒼井", "澪央")
POSTAL = "5094292"  # 飛騨市古川町
CONSULTATION_TEXT = "蒼井 澪央です。冬の間だけ古川町に住めますか。"


def _everything(endpoint: str) -> str:
    """Every item of every table and every object of every bucket, as one text to search."""
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="ap-northeast-1")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-1")
    texts: list[str] = []
    for table in topology.TABLES:
        for page in ddb.get_paginator("scan").paginate(TableName=physical_name(table.name)):
            texts += [json.dumps(item, ensure_ascii=False) for item in page["Items"]]
    for bucket in topology.BUCKETS:
        name = physical_name(bucket.name)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
                texts += [version["Key"], body["Body"].read().decode("utf-8", "replace")]
    return "\n".join(texts)


def _a_full_life() -> dict[str, Any]:
    """Profile, verified identity, registrations (one automatic), a participation, a
    notification, an idempotent request, a backfill row waiting for their facts, staff reads."""
    onboard(HIDA, GIFU)
    at(NOW)
    assert set_profile(ME, postal_code=POSTAL, name=NAME, birth_date=BIRTH, address="古川町1").status == 200
    assertion = IDENTITY_PROVIDER.sign(
        {
            "subject": "idp-subject-to-delete",
            "name": "蒼井　澪央",
            "birth_date": BIRTH,
            "gender": "male",
            "address": "岐阜県飛騨市古川町1",
            "nonce": identity_nonce(ME),
        },
        clock.now(),
    )
    verified = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person(ME))
    assert verified.status == 201, verified
    assert register(ME, HIDA, headers={"Idempotency-Key": "first-registration"}).status == 201
    created = activity(HIDA)
    assert scan(ME, static_token(HIDA, created["activity_id"])).status == 201
    notifications.notify(
        ME, NotificationKind.RENEWED, title="更新", body="更新しました", lg_code=HIDA, dedupe_key="t"
    )
    profile = Profile(NAME, date.fromisoformat(BIRTH), "male", POSTAL, "古川町1", HIDA)
    key = profile_match_key(profile)
    assert key
    matching.put_pending(
        [
            matching.Pending(
                match_key=key,
                activity_key="a-later-import",
                lg_code=HIDA,
                activity_id="act_later",
                participation_id="par_later",
                import_id="imp_later",
                written_at=clock.iso(clock.now()),
                expires_at=clock.now() + timedelta(days=400),
            )
        ]
    )
    # A support application with a document that names the person (the file is searched too).
    measure = new_measure(
        HIDA, eligibility="premium_and_basic", opens_on="2026-04-01", closes_on="2027-03-31"
    )
    receipt = b"%PDF-1.7\n" + "領収書 蒼井 澪央 1985-07-15\n".encode() * 8
    applied = apply(ME, measure["measure_id"], attachment_keys=[upload(ME, receipt)])
    assert applied.status == 201, applied
    # A consultation that names the person, answered by staff (a second notification).
    asked = call(
        "POST",
        "/v1/me/consultations",
        {"lg_code": HIDA, "topic": "dual_residence", "subject": "冬の滞在", "message": CONSULTATION_TEXT},
        claims=person(ME),
    )
    assert asked.status == 201, asked
    reply = f"/v1/admin/lgs/{HIDA}/consultations/{asked.body['consultation_id']}/messages"
    assert call("POST", reply, {"body": "歓迎します"}, claims=admin(HIDA)).status == 201
    assert call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA)).status == 200
    roster = f"/v1/admin/lgs/{HIDA}/activities/{created['activity_id']}/participants"
    assert call("GET", roster, claims=admin(HIDA)).status == 200
    # Somebody else, who must keep everything.
    set_profile("u-stays", name="残る 花子")
    assert register("u-stays", HIDA).status == 201
    return created


def test_a_registrant_downloads_then_deletes_everything(clean_aws: str) -> None:
    _a_full_life()
    data = call("GET", "/v1/me/data", claims=person(ME))
    assert data.status == 200, data
    body = data.body
    assert body["profile"]["name"] == NAME and body["profile"]["birth_date"] == BIRTH
    assert body["identity"]["verified"] is True
    assert {r["lg_code"] for r in body["registrations"]} == {HIDA, GIFU}
    assert len(body["participations"]) == 1 and len(body["notifications"]) == 2
    assert [m["body"] for c in body["consultations"] for m in c["messages"]] == [
        CONSULTATION_TEXT,
        "歓迎します",
    ]
    assert body["stays"] == []
    assert len(body["uploads"]) == 1 and len(body["support_applications"]) == 1
    assert not any(k in json.dumps(body) for k in ('"pk"', '"gsi1pk"', '"version"'))
    ids = [ME, body["profile"]["identity_key"]]
    ids += [r["registration_id"] for r in body["registrations"]]
    ids += [p["participation_id"] for p in body["participations"]]
    ids += [u["upload_id"] for u in body["uploads"]]
    ids += [a["application_id"] for a in body["support_applications"]]
    before = _everything(clean_aws)
    assert all(needle in before for needle in (*NAME_PARTS, BIRTH, *ids, CONSULTATION_TEXT))

    assert call("DELETE", "/v1/me", claims=person(ME)).status == 204

    after = _everything(clean_aws)
    for needle in (*NAME_PARTS, BIRTH, *ids, CONSULTATION_TEXT, "冬の滞在"):
        assert needle not in after, needle
    assert "par_later" not in after  # the backfilled row with their facts
    # Others keep theirs.
    assert "残る 花子" in after
    assert call("GET", "/v1/me/registrations", claims=person("u-stays")).body["items"]
    # The same token opens nothing and recreates nothing.
    for method, path, payload in (
        ("GET", "/v1/me", None),
        ("GET", "/v1/me/data", None),
        (
            "PUT",
            "/v1/me/registrations/212172",
            {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}},
        ),
        (
            "PUT",
            "/v1/me/profile",
            {"name": NAME, "birth_date": BIRTH, "gender": "male", "postal_code": POSTAL, "address": "x"},
        ),
        ("DELETE", "/v1/me", None),
        # Lists that do not load the person: an empty answer checks for a deleted account.
        ("GET", "/v1/me/notifications", None),
        ("GET", "/v1/me/support-applications", None),
        ("GET", "/v1/me/consultations", None),
    ):
        reply = call(method, path, payload, claims=person(ME))
        assert reply.status in (401, 404), (method, path, reply)
    upload_request = {"purpose": "support_document", "content_type": "application/pdf", "size": 100}
    assert call("POST", "/v1/me/uploads", upload_request, claims=person(ME)).status == 401
    # A QR scan with the old token records nothing either.
    later = activity(HIDA, name="deleted-person-scan")
    assert scan(ME, static_token(HIDA, later["activity_id"])).status == 401
    assert NAME_PARTS[0] not in _everything(clean_aws)


def test_deletion_withdraws_first_so_the_counts_follow(clean_aws: str) -> None:
    """Each registration is written `withdrawn` before its item goes: a stream consumer sees a
    withdrawal, then a removal, as when the person withdraws by hand."""
    _a_full_life()
    ddb = boto3.client("dynamodb", endpoint_url=clean_aws, region_name="ap-northeast-1")
    table = physical_name("main")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", endpoint_url=clean_aws, region_name="ap-northeast-1")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    at(datetime(2026, 5, 11, 9, 0, tzinfo=JST))
    assert call("DELETE", "/v1/me", claims=person(ME)).status == 204
    records = streams.get_records(ShardIterator=iterator)["Records"]
    registration_events = [
        (r["eventName"], r["dynamodb"].get("NewImage", {}).get("status", {}).get("S"))
        for r in records
        if r["dynamodb"]["Keys"]["sk"]["S"].startswith("REG#")
    ]
    assert registration_events.count(("MODIFY", "withdrawn")) == 2
    assert registration_events.count(("REMOVE", None)) == 2
