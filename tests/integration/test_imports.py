"""Backfill imports end to end against moto: staff routes, presigned uploads, the S3 trigger,
idempotency, crash recovery, matching of people and pending participants."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from furusato import clock
from furusato.capabilities.imports import jobs as import_jobs
from furusato.capabilities.imports import run as import_run
from furusato.imports.safety import DEFAULT_LIMITS
from furusato.store import participations
from tests.conftest import IDENTITY_PROVIDER
from tests.fixtures.imports import official, xlsx
from tests.integration.import_helpers import (
    LG,
    NOW,
    OTHER,
    XLSX,
    binary_body,
    commit,
    deliver,
    download,
    dump,
    event_for,
    facts,
    job,
    macro_workbook,
    put_direct,
    real_rows,
    real_sample,
    run_import,
    start,
    types,
    upload,
    zip_bomb,
)
from tests.support.lambda_api import LambdaContext, call
from tests.support.world import admin, identity_nonce, onboard, person, register, registrations

SATO = "佐藤 健一"  # EVT-001 (2026-04-10) and EVT-005 (2027-03-21)
KOBAYASHI = "小林 智子"  # EVT-003 and EVT-004


@pytest.fixture(autouse=True)
def _world() -> None:
    clock.freeze(datetime.fromisoformat(NOW))
    onboard(LG, OTHER)


def profile(sub: str, who: str, **overrides: Any) -> None:
    reply = call("PUT", "/v1/me/profile", {**facts(who), **overrides}, claims=person(sub))
    assert reply.status == 200, reply


def counted(sub: str, lg_code: str = LG) -> int:
    return int(registrations(sub)[lg_code]["progress"]["activities_counted"])


def my_participations(sub: str) -> list[dict[str, Any]]:
    reply = call("GET", "/v1/me/participations", claims=person(sub))
    assert reply.status == 200, reply
    return list(reply.body["items"])


def normalised(items: list[dict[str, Any]], *ids: str) -> list[dict[str, Any]]:
    """Items with the given job ids (and S3 version ids) replaced: runs compare by content."""
    text = json.dumps(items, ensure_ascii=False)
    for n, import_id in enumerate(ids):
        text = text.replace(import_id, f"<import {n}>")
    out: list[dict[str, Any]] = json.loads(text)
    for item in out:
        for volatile in ("source_version", "source_etag"):
            item.pop(volatile, None)
    return out


# --- the template and the routes -----------------------------------------------------------------


def test_template_download() -> None:
    reply = call("GET", f"/v1/admin/lgs/{LG}/imports/template", claims=admin(LG, "viewer"))
    assert reply.status == 200, reply
    assert reply.headers["Content-Type"] == XLSX
    assert 'filename="furusato-backfill-template.xlsx"' in reply.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in reply.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(binary_body(reply)))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[3]][:3] == ["ID", "活動名", "活動開始日時"]
    assert len(book.worksheets) == 2


def test_create_answers_a_presigned_post_limited_in_size_and_type() -> None:
    reply = start(dry_run=True, filename="令和8年度 実績/4月.xlsx")
    assert reply.status == 201, reply
    body = reply.body
    assert body["status"] == "waiting_upload"
    import_id = body["import_id"]
    upload_form = body["upload"]
    assert upload_form["method"] == "POST" and upload_form["url"].startswith("http")
    assert upload_form["max_bytes"] == DEFAULT_LIMITS.max_file_bytes == import_jobs.MAX_UPLOAD_BYTES
    fields = upload_form["fields"]
    assert fields["key"] == f"imports/{LG}/{import_id}/4.xlsx"
    assert fields["Content-Type"] == XLSX
    policy = __import__("base64").b64decode(fields["policy"]).decode()
    assert '["content-length-range", 1, 10485760]' in policy and XLSX in policy
    shown = job(import_id, role="viewer").body
    assert shown["status"] == "waiting_upload" and shown["dry_run"] is True
    assert shown["filename"] == "令和8年度 実績/4月.xlsx" and shown["report_url"] is None
    assert shown["rows_total"] is None and shown["created_at"].startswith("2027-04-01T10:00")


def test_roles() -> None:
    assert start(role="viewer").status == 403
    assert start(role="org").status == 403
    assert call("GET", f"/v1/admin/lgs/{LG}/imports/template", claims=admin(LG, "org")).status == 403
    created = start(role="coordinator")
    assert created.status == 201
    import_id = created.body["import_id"]
    assert job(import_id, role="org").status == 403
    assert commit(import_id, role="viewer").status == 403
    assert start(filename="").status == 400
    assert start(filename="  ").status == 400 and start(filename="a\u202e.xlsx").status == 400
    bad = call("POST", f"/v1/admin/lgs/{LG}/imports", {"filename": "a.xlsx", "x": 1}, claims=admin(LG))
    assert bad.status == 400 and bad.body["error"]["details"] == {"x": "unknown field"}


def test_another_governments_import_is_not_found() -> None:
    created = start(OTHER)
    assert created.status == 201
    theirs = created.body["import_id"]
    assert job(theirs).status == 404 and job(theirs).error_code == "NOT_FOUND"
    assert commit(theirs).status == 404
    assert job("imp_00000000000000000000000000").status == 404
    assert job("IMP_not-an-id").status == 404
    assert job(theirs, lg_code=OTHER).status == 200


# --- importing -----------------------------------------------------------------------------------


def test_the_14_sample_rows(clean_aws: str) -> None:
    import_id, _ = run_import(clean_aws, real_sample())
    shown = job(import_id).body
    assert shown["status"] == "completed", shown
    assert (shown["rows_total"], shown["rows_imported"], shown["rows_rejected"]) == (14, 14, 0)
    assert (shown["participants_matched"], shown["participants_pending"]) == (0, 10)
    assert shown["failure_reason"] is None
    kinds = types(dump(clean_aws))
    assert kinds["backfill_activity"] == 5 and kinds["pending_participation"] == 14
    assert "participation" not in kinds
    report = openpyxl.load_workbook(io.BytesIO(download(shown["report_url"])))
    rows = list(report.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("行番号", "結果", "理由") and len(rows) == 15
    assert all(r[1] == "取込済 (imported)" for r in rows[1:])
    # The activities are designated backfill activities of the government.
    listed = call("GET", f"/v1/admin/lgs/{LG}/activities", claims=admin(LG), query={"from": "2026-04-01"})
    assert listed.status == 200, listed
    names = sorted(a["name"] for a in listed.body["items"])
    assert names == sorted(["農業ボランティア", "イベント企画運営", "清掃活動", "雪下ろし", "草刈り"])
    assert all(a["designated"] for a in listed.body["items"])


def test_registrants_known_at_import_time_are_counted_at_once(clean_aws: str) -> None:
    profile("u-sato", SATO)
    register("u-sato", LG)
    assert counted("u-sato") == 0
    import_id, _ = run_import(clean_aws, real_sample())
    shown = job(import_id).body
    assert (shown["participants_matched"], shown["participants_pending"]) == (1, 9)
    assert counted("u-sato") == 2
    records = my_participations("u-sato")
    assert {r["source"] for r in records} == {"backfill"} and len(records) == 2
    assert sorted(r["day"] for r in records) == ["2026-04-10", "2027-03-21"]
    assert types(dump(clean_aws))["pending_participation"] == 12


def test_dry_run_writes_nothing_then_commit_imports_the_same_file(clean_aws: str) -> None:
    before = types(dump(clean_aws))
    import_id, event = run_import(clean_aws, real_sample(), dry_run=True)
    shown = job(import_id).body
    assert shown["status"] == "validated" and shown["dry_run"] is True
    assert (shown["rows_total"], shown["rows_imported"], shown["participants_pending"]) == (14, 14, 10)
    after = types(dump(clean_aws))
    assert after == {**before, "import_job": 1}  # no activity, participation or pending item
    report = openpyxl.load_workbook(io.BytesIO(download(shown["report_url"])))
    assert list(report.worksheets[0].iter_rows(values_only=True))[1][1] == "取込可 (valid)"
    # A redelivered event does not validate again, let alone import.
    assert deliver(event) == {"outcomes": ["already_validated"]}

    committed = commit(import_id)
    assert committed.status == 202, committed
    assert committed.body["status"] == "processing" and committed.body["report_url"] is None
    # The commit wrote the job's `.run` marker: its ObjectCreated event runs the import.
    assert deliver(event_for(clean_aws, f"imports/{LG}/{import_id}/.run")) == {"outcomes": ["completed"]}
    done = job(import_id).body
    assert (done["status"], done["rows_imported"], done["participants_pending"]) == ("completed", 14, 10)
    assert types(dump(clean_aws))["pending_participation"] == 14
    again = commit(import_id)
    assert again.status == 409 and again.error_code == "IMPORT_NOT_COMMITTABLE"
    assert again.body["error"]["details"] == {"status": "completed", "dry_run": True}


def test_only_validated_dry_runs_can_be_committed(clean_aws: str) -> None:
    waiting = start(dry_run=True).body["import_id"]
    assert commit(waiting).status == 409
    imported, _ = run_import(clean_aws, real_sample())
    reply = commit(imported)
    assert reply.status == 409 and reply.body["error"]["details"]["dry_run"] is False


def test_the_same_event_delivered_five_times_converges(clean_aws: str) -> None:
    import_id, event = run_import(clean_aws, real_sample())
    once = dump(clean_aws)
    for _ in range(4):
        assert deliver(event) == {"outcomes": ["already_completed"]}
    assert dump(clean_aws) == once
    assert job(import_id).body["rows_imported"] == 14


def _serialize_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """As tests.support.concurrency.serialize_moto_writes, reads of single items included: moto
    updates an item attribute by attribute, so a concurrent GetItem could see half an update,
    which DynamoDB never shows."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    names = ("put_item", "update_item", "delete_item", "transact_write_items", "query", "scan", "get_item")
    for name in (*names, "batch_get_item"):
        original = getattr(DynamoDBBackend, name)

        def serialized(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialized)


def test_five_concurrent_deliveries_import_once(clean_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _serialize_moto(monkeypatch)
    created = start().body
    upload(created, real_sample())
    event = event_for(clean_aws, created["upload"]["fields"]["key"])
    outcomes: list[Any] = []

    def one() -> None:
        try:
            outcomes.extend(deliver(event)["outcomes"])
        except import_run.ImportBusy:
            outcomes.append("busy")  # retryable: Lambda delivers it again later

    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("completed") == 1, outcomes
    assert set(outcomes) <= {"completed", "busy", "already_completed"}
    kinds = types(dump(clean_aws))
    assert (kinds["backfill_activity"], kinds["pending_participation"], kinds["import_job"]) == (5, 14, 1)


def test_the_same_file_uploaded_twice_duplicates_nothing(clean_aws: str) -> None:
    profile("u-sato", SATO)
    run_import(clean_aws, real_sample())
    once = types(dump(clean_aws))
    second, _ = run_import(clean_aws, real_sample())
    twice = types(dump(clean_aws))
    assert twice == {**once, "import_job": 2}
    assert job(second).body["participants_matched"] == 1
    assert len(my_participations("u-sato")) == 2


def test_a_crash_half_way_then_redelivery_equals_one_clean_run(
    clean_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_run, "CHUNK_PEOPLE", 3)  # 10 people: 4 chunks

    def world() -> None:
        for sub, name in (("u-sato", SATO), ("u-kobayashi", KOBAYASHI), ("u-takahashi", "高橋 亮介")):
            profile(sub, name)

    # One clean run, through a direct upload (its job id depends only on the object).
    world()
    key = f"imports/{LG}/own-tool.xlsx"
    data = real_sample()
    clean_event = put_direct(clean_aws, key, data)
    deliver(clean_event)
    clean_id = import_jobs.direct_import_id(
        clean_event["Records"][0]["s3"]["bucket"]["name"],
        key,
        clean_event["Records"][0]["s3"]["object"]["versionId"],
    )
    clean = normalised(dump(clean_aws), clean_id)
    assert job(clean_id).body["status"] == "completed"

    # The same from an empty table, crashing after a few writes.
    from infra.local.aws import reset_data

    reset_data(clean_aws)
    onboard(LG, OTHER)
    world()
    event = put_direct(clean_aws, key, data)
    version = event["Records"][0]["s3"]["object"]["versionId"]
    crash_id = import_jobs.direct_import_id(event["Records"][0]["s3"]["bucket"]["name"], key, version)
    real_record = participations.record
    calls = {"n": 0}

    def flaky(record: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:  # 小林's first record: the 3rd chunk (佐藤 and 高橋 are in the 1st)
            raise RuntimeError("injected crash")
        return real_record(record)

    monkeypatch.setattr(participations, "record", flaky)
    with pytest.raises(RuntimeError, match="injected"):
        deliver(event)
    half = job(crash_id).body
    assert half["status"] == "processing", half
    stored = next(i for i in dump(clean_aws) if i["sk"]["S"] == f"IMPORT#{crash_id}")
    assert "lease_owner" not in stored and int(stored["progress"]["N"]) == 6
    monkeypatch.setattr(participations, "record", real_record)
    assert deliver(event) == {"outcomes": ["completed"]}
    resumed = normalised(dump(clean_aws), crash_id)
    for a, b in zip(resumed, clean, strict=True):
        assert a == b, {k: (a.get(k), b.get(k)) for k in {*a, *b} if a.get(k) != b.get(k)}


def test_a_run_killed_with_its_lease_is_retried_until_the_lease_runs_out(
    clean_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed process never gives its lease back: a redelivery within the lease must fail
    (so Lambda retries), and the retry after the lease resumes the job to `completed`."""
    monkeypatch.setattr(import_run, "CHUNK_PEOPLE", 3)
    for sub, name in (("u-sato", SATO), ("u-kobayashi", KOBAYASHI), ("u-takahashi", "高橋 亮介")):
        profile(sub, name)
    key = f"imports/{LG}/killed.xlsx"
    event = put_direct(clean_aws, key, real_sample())
    record = event["Records"][0]["s3"]
    import_id = import_jobs.direct_import_id(record["bucket"]["name"], key, record["object"]["versionId"])
    real_record, real_release = participations.record, import_run.store.release
    calls = {"n": 0}

    def killed(item: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("killed")  # nothing after this runs in a killed process...
        return real_record(item)

    monkeypatch.setattr(participations, "record", killed)
    monkeypatch.setattr(import_run.store, "release", lambda *a, **k: False)  # ...nor this
    with pytest.raises(SystemExit):
        deliver(event)
    monkeypatch.setattr(participations, "record", real_record)
    monkeypatch.setattr(import_run.store, "release", real_release)
    assert job(import_id).body["status"] == "processing"
    with pytest.raises(import_run.ImportBusy):
        deliver(event)  # within the lease: retryable, not a success that ends the retries
    now = import_run.wall_clock()
    lease = import_run.LEASE_S + import_run.LEASE_SLACK_S
    monkeypatch.setattr(import_run, "wall_clock", lambda: now + lease + 1)
    assert deliver(event) == {"outcomes": ["completed"]}
    assert job(import_id).body["status"] == "completed"


def test_a_run_out_of_time_hands_the_rest_on(clean_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_run, "CHUNK_PEOPLE", 4)  # 10 people: 3 chunks
    created = start().body
    upload(created, real_sample())
    import_id = created["import_id"]

    short = LambdaContext(remaining_ms=lambda: 1_000)  # less than the margin: one chunk, then hand on

    marker = f"imports/{LG}/{import_id}/.run"
    assert deliver(event_for(clean_aws, created["upload"]["fields"]["key"]), short) == {
        "outcomes": ["handed_off"]
    }
    assert job(import_id).body["status"] == "processing"
    # The hand-off is a marker object whose ObjectCreated event invokes the function again.
    assert deliver(event_for(clean_aws, marker), short) == {"outcomes": ["handed_off"]}
    assert deliver(event_for(clean_aws, marker)) == {"outcomes": ["completed"]}
    assert types(dump(clean_aws))["pending_participation"] == 14
    assert deliver(event_for(clean_aws, marker)) == {"outcomes": ["already_completed"]}


# --- files that are refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"ID,name\n1,x\n", "not_zip"),
        (macro_workbook, "macro_enabled"),
        (zip_bomb, "entry_too_large"),
        (lambda: official([]), "no_rows"),
        (lambda: xlsx([["氏名", "住所"], ["a", "b"]]), "header_not_found"),
    ],
    ids=["not-xlsx", "macro", "zip-bomb", "zero-rows", "no-header"],
)
def test_refused_files_fail_the_job_with_a_reason(clean_aws: str, make: Any, reason: str) -> None:
    import_id, event = run_import(clean_aws, make())
    shown = job(import_id).body
    assert shown["status"] == "failed" and shown["failure_reason"] == reason, shown
    assert shown["failure_message"] and shown["rows_imported"] is None
    book = openpyxl.load_workbook(io.BytesIO(download(shown["report_url"])))
    assert reason in [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert deliver(event) == {"outcomes": ["already_failed"]}  # not retried forever
    assert "backfill_activity" not in types(dump(clean_aws))


def test_an_oversized_direct_upload_is_refused_unread(clean_aws: str) -> None:
    event = put_direct(clean_aws, f"imports/{LG}/big.xlsx", b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024))
    assert deliver(event) == {"outcomes": ["failed"]}
    [item] = [i for i in dump(clean_aws) if i["type"]["S"] == "import_job"]
    assert item["failure_reason"]["S"] == "too_large" and item["origin"]["S"] == "direct"


# --- direct uploads and keys that belong to nobody -----------------------------------------------


def test_direct_uploads_get_a_job(clean_aws: str) -> None:
    event = put_direct(clean_aws, f"imports/{LG}/令和8年度 実績.xlsx", real_sample())
    assert deliver(event) == {"outcomes": ["completed"]}
    assert deliver(event) == {"outcomes": ["already_completed"]}
    [item] = [i for i in dump(clean_aws) if i["type"]["S"] == "import_job"]
    shown = job(item["import_id"]["S"]).body
    assert shown["status"] == "completed" and shown["dry_run"] is False
    assert shown["filename"] == "令和8年度 実績.xlsx" and shown["rows_imported"] == 14


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("imports/322016/file.xlsx", "not_onboarded"),  # 松江市: valid, not onboarded here
        ("imports/212171/file.xlsx", "invalid_lg_code"),  # wrong check digit
        ("imports/212172/imp_00000000000000000000000000/file.xlsx", "unknown_import"),
        ("imports/212172/imp_00000000000000000000000000/.run", "unknown_import"),
        ("imports/212172/a/b/c.xlsx", "unexpected_key"),
        ("imports/file.xlsx", "unexpected_key"),
    ],
)
def test_objects_that_belong_to_no_onboarded_government_are_ignored(
    clean_aws: str, key: str, reason: str
) -> None:
    event = put_direct(clean_aws, key, real_sample())
    assert deliver(event) == {"outcomes": [f"ignored:{reason}"]}
    assert "import_job" not in types(dump(clean_aws))


def test_a_second_upload_to_the_same_presigned_key_is_ignored(clean_aws: str) -> None:
    created = start().body
    upload(created, real_sample())
    key = created["upload"]["fields"]["key"]
    deliver(event_for(clean_aws, key))
    upload(created, official(real_rows()[:1]))
    assert deliver(event_for(clean_aws, key)) == {"outcomes": ["ignored:another_version"]}
    assert job(created["import_id"]).body["rows_total"] == 14


# --- people who register later -------------------------------------------------------------------


def test_a_pending_person_registering_later_sees_the_counted_activities(clean_aws: str) -> None:
    run_import(clean_aws, real_sample())
    register("u-sato", LG)
    assert counted("u-sato") == 0
    profile("u-sato", SATO)
    assert counted("u-sato") == 2
    assert sorted(r["activity"]["name"] for r in my_participations("u-sato")) == [
        "草刈り",
        "農業ボランティア",
    ]
    kinds = types(dump(clean_aws))
    assert kinds["pending_participation"] == 12 and kinds["participation"] == 2
    # Saving the profile again attaches nothing twice.
    profile("u-sato", SATO)
    assert counted("u-sato") == 2 and types(dump(clean_aws))["participation"] == 2


def test_a_person_verifying_identity_later_is_attached(clean_aws: str) -> None:
    run_import(clean_aws, real_sample())
    sato = facts(SATO)
    # Facts that do not match (a nickname): nothing attached.
    profile("u-sato", SATO, name="けんいち")
    register("u-sato", LG)
    assert counted("u-sato") == 0
    assertion = IDENTITY_PROVIDER.sign(
        {
            "subject": "idp-sato",
            "name": "佐藤　健一",  # a full-width space: the same person
            "birth_date": sato["birth_date"],
            "gender": "male",
            "address": "東京都新宿区西新宿2-8-1",
            "nonce": identity_nonce("u-sato"),
        },
        clock.now(),
    )
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u-sato"))
    assert reply.status == 201, reply
    assert counted("u-sato") == 2


def test_changed_facts_release_the_old_match(clean_aws: str) -> None:
    profile("u1", SATO)
    profile("u1", SATO, postal_code="100-0001")  # moved: no longer the person of the rows
    import_id, _ = run_import(clean_aws, real_sample())
    assert job(import_id).body["participants_matched"] == 0
    # One key claimed (the new facts'); the old one's item is gone.
    assert len([i for i in dump(clean_aws) if i["pk"]["S"].startswith("MATCH#")]) == 1
    profile("u1", SATO)  # back: attached
    register("u1", LG)
    assert counted("u1") == 2


def test_two_accounts_with_the_same_facts_wait_for_a_verified_identity(clean_aws: str) -> None:
    profile("u1", KOBAYASHI)
    profile("u2", KOBAYASHI)
    import_id, _ = run_import(clean_aws, real_sample())
    assert job(import_id).body["participants_matched"] == 0  # ambiguous: kept pending
    for sub in ("u1", "u2"):
        register(sub, LG)
    kobayashi = facts(KOBAYASHI)
    assertion = IDENTITY_PROVIDER.sign(
        {
            "subject": "idp-kobayashi",
            "name": KOBAYASHI,
            "birth_date": kobayashi["birth_date"],
            "gender": "female",
            "address": "富山県富山市新総曲輪1-7",
            "nonce": identity_nonce("u2"),
        },
        clock.now(),
    )
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u2"))
    assert reply.status == 201, reply
    assert (counted("u1"), counted("u2")) == (0, 2)


# --- rosters list the people not yet matched; matching upgrades opted-in registrants --------------


def activity_named(name: str) -> dict[str, Any]:
    listed = call("GET", f"/v1/admin/lgs/{LG}/activities", claims=admin(LG), query={"from": "2026-04-01"})
    assert listed.status == 200, listed
    return next(a for a in listed.body["items"] if a["name"] == name)


def roster_of(activity_id: str) -> list[dict[str, Any]]:
    reply = call("GET", f"/v1/admin/lgs/{LG}/activities/{activity_id}/participants", claims=admin(LG))
    assert reply.status == 200, reply
    return list(reply.body["items"])


def test_a_backfilled_person_is_a_pending_roster_row_until_matched(clean_aws: str) -> None:
    run_import(clean_aws, real_sample())
    mowing = activity_named("草刈り")["activity_id"]  # EVT-005: 佐藤 健一 only
    [row] = roster_of(mowing)
    assert (row["kind"], row["name"], row["registered"], row["source"]) == (
        "pending",
        SATO,
        False,
        "backfill",
    )
    detail = call("GET", f"/v1/admin/lgs/{LG}/activities/{mowing}", claims=admin(LG)).body
    assert detail["participant_count"] == 1

    profile("u-sato", SATO)
    register("u-sato", LG)

    [matched] = roster_of(mowing)
    assert (matched["kind"], matched["name"], matched["registered"]) == ("registrant", "佐藤 健一", True)
    assert matched["participation_id"] == row["participation_id"]  # the same row, not a second one
    assert (
        call("GET", f"/v1/admin/lgs/{LG}/activities/{mowing}", claims=admin(LG)).body["participant_count"]
        == 1
    )
    assert types(dump(clean_aws))["pending_participation"] == 12


def test_backfill_matching_that_meets_the_requirement_upgrades_an_opted_in_registrant(clean_aws: str) -> None:
    profile("u-sato", SATO)
    sato = facts(SATO)
    assertion = IDENTITY_PROVIDER.sign(
        {
            "subject": "idp-sato",
            "name": SATO,
            "birth_date": sato["birth_date"],
            "gender": "male",
            "address": "東京都新宿区西新宿2-8-1",
            "nonce": identity_nonce("u-sato"),
        },
        clock.now(),
    )
    assert (
        call(
            "POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u-sato")
        ).status
        == 201
    )
    body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}, "auto_upgrade": True}
    assert call("PUT", f"/v1/me/registrations/{LG}", body, claims=person("u-sato")).status == 201
    third = next(r for r in real_rows() if r[6] == SATO)[:]
    third[:5] = ["EVT-006", "用水路清掃", "2027年2月7日 9:00", "2027年2月7日 11:00", "市中央ホールA"]
    run_import(clean_aws, official([*real_rows(), third]))

    mine = registrations("u-sato")[LG]
    assert (mine["plan"], mine["status"], mine["premium"]["valid_until"]) == (
        "premium",
        "active",
        "2028-04-01",
    )
    inbox = call("GET", "/v1/me/notifications", claims=person("u-sato")).body["items"]
    assert [(n["kind"], n["lg_code"]) for n in inbox] == [("upgraded", LG)]


def test_the_periodic_check_restarts_a_job_whose_run_died_with_no_person_acting(
    clean_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed run whose event never comes back (retries exhausted) is restarted by the
    imports-recovery schedule once its lease has run out, and ends as one clean run."""
    for sub, name in (("u-sato", SATO), ("u-kobayashi", KOBAYASHI)):
        profile(sub, name)
    key = f"imports/{LG}/recovered.xlsx"
    event = put_direct(clean_aws, key, real_sample())
    record = event["Records"][0]["s3"]
    import_id = import_jobs.direct_import_id(record["bucket"]["name"], key, record["object"]["versionId"])
    real_record, real_release = participations.record, import_run.store.release
    calls = {"n": 0}

    def killed(item: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")
        return real_record(item)

    monkeypatch.setattr(participations, "record", killed)
    monkeypatch.setattr(import_run.store, "release", lambda *a, **k: False)
    with pytest.raises(SystemExit):
        deliver(event)
    monkeypatch.setattr(participations, "record", real_record)
    monkeypatch.setattr(import_run.store, "release", real_release)
    markers: list[tuple[str, str]] = []
    monkeypatch.setattr(import_jobs, "later", lambda lg, iid: markers.append((lg, iid)))
    schedule = {"sweep": "imports-recovery", "scheduled_time": "2027-04-01T10:00:00+09:00"}
    # While the lease is live, the check leaves the job alone.
    assert deliver(schedule) == {"processing": 1, "restarted": []}
    now = import_run.wall_clock()
    lease = import_run.LEASE_S + import_run.LEASE_SLACK_S
    monkeypatch.setattr(import_run, "wall_clock", lambda: now + lease + 1)
    assert deliver(schedule) == {"processing": 1, "restarted": [import_id]}
    assert markers == [(LG, import_id)]
    # The marker's event (delivered as S3 would) resumes the job to the end.
    run_event = put_direct(clean_aws, import_jobs.run_marker_key(LG, import_id), b"")
    assert deliver(run_event) == {"outcomes": ["completed"]}
    assert job(import_id).body["status"] == "completed"
    assert deliver(schedule) == {"processing": 0, "restarted": []}
