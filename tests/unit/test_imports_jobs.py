"""Pure parts of backfill import jobs: keys, ids, file names, matching rules, S3 records."""

from __future__ import annotations

import re
from datetime import date, datetime

from furusato.capabilities import backfill
from furusato.capabilities.imports import jobs
from furusato.clock import JST
from furusato.domain.profile import make_profile
from furusato.imports import analyse
from furusato.imports.safety import DEFAULT_LIMITS
from furusato.store.matching import Candidates
from furusato.store.s3 import object_created
from tests.fixtures.imports import official, sample_rows

ID = re.compile(r"[a-z]{3,4}_[0-9a-z]{26}")  # the API's id pattern (shapes/checkins.py)


def test_ids_from_keys_are_stable_and_look_like_every_other_id() -> None:
    key = "0123456789abcdef0123456789abcdef"
    assert backfill.activity_id(key) == backfill.activity_id(key)
    assert ID.fullmatch(backfill.activity_id(key)) and ID.fullmatch(backfill.participation_id(key))
    assert backfill.activity_id(key) != backfill.activity_id("f" + key[1:])
    assert backfill.activity_id("ffffffffffffffffffffffffffffffff").startswith("act_7")
    assert ID.fullmatch(backfill.backfill_id("imp", "not hex at all"))


def test_a_direct_upload_has_one_job_per_object_version() -> None:
    one = jobs.direct_import_id("bucket", "imports/212172/a.xlsx", "v1")
    assert one == jobs.direct_import_id("bucket", "imports/212172/a.xlsx", "v1")
    assert jobs.IMPORT_ID.fullmatch(one)
    assert one != jobs.direct_import_id("bucket", "imports/212172/a.xlsx", "v2")
    assert one != jobs.direct_import_id("bucket", "imports/212172/b.xlsx", "v1")


def test_safe_filenames() -> None:
    assert jobs.safe_filename("実績.xlsx") == "upload.xlsx"
    assert jobs.safe_filename("令和8年度 R8 実績(4月).XLSX") == "8_R8_4.xlsx"
    assert jobs.safe_filename("C:\\Users\\clerk\\backfill 2026.xlsx") == "backfill_2026.xlsx"
    assert jobs.safe_filename("../../etc/passwd") == "passwd"
    assert jobs.safe_filename("ｂａｃｋｆｉｌｌ．ｘｌｓｘ") == "backfill.xlsx"
    assert jobs.safe_filename("no extension") == "no_extension"
    assert len(jobs.safe_filename("a" * 500 + ".xlsx")) == 85


def test_the_upload_limit_is_the_safety_limit() -> None:
    assert jobs.MAX_UPLOAD_BYTES == DEFAULT_LIMITS.max_file_bytes


def test_who_a_match_key_belongs_to() -> None:
    assert backfill.claimant(None) is None
    assert backfill.claimant(Candidates()) is None
    assert backfill.claimant(Candidates(frozenset({"a"}))) == "a"
    assert backfill.claimant(Candidates(frozenset({"a", "b"}))) is None  # ambiguous: pending
    assert backfill.claimant(Candidates(frozenset({"a", "b"}), frozenset({"b"}))) == "b"
    assert backfill.claimant(Candidates(frozenset({"a", "b"}), frozenset({"a", "b"}))) is None


def test_a_profile_gives_the_match_key_of_its_rows() -> None:
    rows = sample_rows()
    for row in rows:
        row[7] = "160-0022"  # a real postal code: profiles need one
    result = analyse(official(rows), lg_code="212172", now=datetime(2027, 4, 1, 10, tzinfo=JST))
    sato = next(p for p in result.participations if p.name == "佐藤 健一")
    for written in ("佐藤 健一", "佐藤　健一", "佐藤健一", " 佐藤  健一 "):
        profile = make_profile(
            name=written,
            birth_date=date(1974, 2, 18),
            gender="male",
            postal_code="〒160-0022",
            address="東京都新宿区西新宿2-8-1",
            today=date(2027, 4, 1),
        )
        assert backfill.profile_match_key(profile) == sato.match_key
    assert backfill.profile_match_key(None) is None


def test_s3_records() -> None:
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Post",
        "s3": {
            "bucket": {"name": "b"},
            "object": {"key": "imports/212172/%E5%AE%9F%E7%B8%BE+4.xlsx", "size": 10, "eTag": "e"},
        },
    }
    parsed = object_created(record)
    assert parsed is not None
    assert (parsed.key, parsed.version, parsed.size) == ("imports/212172/実績 4.xlsx", "null", 10)
    assert object_created({**record, "eventName": "ObjectRemoved:Delete"}) is None
