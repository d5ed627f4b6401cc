"""Rosters: the participants of an activity, as JSON pages and as an xlsx whose cells stay text."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.integration.checkin_helpers import (
    HIDA,
    NOW,
    activity,
    at,
    member_token,
    org,
    scan,
    staff_scan,
    static_token,
)
from tests.support.lambda_api import call
from tests.support.world import admin, onboard, register, set_profile

BASE = f"/v1/admin/lgs/{HIDA}/activities"
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-1+2", "@cmd", "=1+1"]


@pytest.fixture
def roster() -> dict[str, Any]:
    onboard(HIDA)
    at(NOW)
    act = activity()
    token = static_token(HIDA, act["activity_id"])
    at("2026-05-10T10:05:00+09:00")
    set_profile("named", name="山田 花子")
    register("named", HIDA)
    assert scan("named", token).status == 201
    for i, name in enumerate(FORMULAS):
        set_profile(f"f{i}", name=name)
        assert scan(f"f{i}", token).status == 201
    assert scan("anonymous", token).status == 201
    assert staff_scan(HIDA, act["activity_id"], member_token("walkin")).status == 201
    return act


def test_participants_json(roster: dict[str, Any]) -> None:
    reply = call("GET", f"{BASE}/{roster['activity_id']}/participants", claims=admin(HIDA, "viewer"))
    assert reply.status == 200 and reply.headers.get("Cache-Control") == "no-store"
    items = reply.body["items"]
    assert len(items) == 8
    named = next(i for i in items if i["name"] == "山田 花子")
    assert named["registered"] is True and named["registration_id"].startswith("reg_")
    assert named["source"] == "qr" and named["checkin_mode"] == "static_qr"
    walkin = [i for i in items if i["source"] == "staff_scan"]
    assert len(walkin) == 1 and walkin[0]["name"] is None and walkin[0]["registered"] is False
    assert walkin[0]["checkin_mode"] == "static_qr"
    assert {i["name"] for i in items} >= set(FORMULAS)
    assert all("sub" not in i for i in items)
    first = call(
        "GET", f"{BASE}/{roster['activity_id']}/participants", query={"limit": "5"}, claims=admin(HIDA)
    )
    rest = call(
        "GET",
        f"{BASE}/{roster['activity_id']}/participants",
        query={"limit": "5", "cursor": first.body["next_cursor"]},
        claims=admin(HIDA),
    )
    ids = [i["participation_id"] for i in first.body["items"] + rest.body["items"]]
    assert sorted(ids) == sorted(i["participation_id"] for i in items) and len(set(ids)) == 8


def test_participants_xlsx_cells_are_never_formulas(roster: dict[str, Any]) -> None:
    reply = call(
        "GET", f"{BASE}/{roster['activity_id']}/participants", query={"format": "xlsx"}, claims=admin(HIDA)
    )
    assert reply.status == 200
    assert (
        reply.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in reply.headers["Content-Disposition"]
    content = base64.b64decode(reply.body)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A1"].value == "活動名" and sheet["B1"].value == "雪かきボランティア"
    header = [c.value for c in sheet[6]]
    assert header[:2] == ["参加記録ID", "氏名"]
    cells = [c for row in sheet.iter_rows(min_row=1) for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells), [
        (c.coordinate, c.data_type) for c in cells if c.data_type != "s"
    ]
    names = [sheet.cell(row=r, column=2).value for r in range(7, sheet.max_row + 1)]
    assert set(FORMULAS) <= set(names)
    formula_cells = [
        sheet.cell(row=r, column=2)
        for r in range(7, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value in FORMULAS
    ]
    assert all(c.quotePrefix for c in formula_cells)
    # The raw sheet XML holds no formula element at all.
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sources = {sheet.cell(row=r, column=5).value for r in range(7, sheet.max_row + 1)}
    assert sources == {"QRコード", "職員読取"}


def test_org_staff_see_their_rosters_only() -> None:
    onboard(HIDA)
    at(NOW)
    mine, theirs = org(name="A会"), org(name="B会")
    own = activity(organization_id=mine["org_id"])
    other = activity(organization_id=theirs["org_id"])
    staff = admin(HIDA, "org", mine["org_id"])
    assert call("GET", f"{BASE}/{own['activity_id']}/participants", claims=staff).status == 200
    assert (
        call(
            "GET", f"{BASE}/{own['activity_id']}/participants", query={"format": "xlsx"}, claims=staff
        ).status
        == 200
    )
    for query in (None, {"format": "xlsx"}):
        reply = call("GET", f"{BASE}/{other['activity_id']}/participants", query=query, claims=staff)
        assert reply.status == 404


def test_a_roster_export_is_an_asynchronous_job(roster: dict[str, Any]) -> None:
    """The request only creates the job; the stream's consumer writes the workbook (the same
    text-only cells) into S3 page by page; the job shows progress and then a download link."""
    import urllib.request

    from tests.support.streams import deliver

    exports_path = f"{BASE}/{roster['activity_id']}/participants/exports"
    started = call("POST", exports_path, claims=admin(HIDA, "viewer"))  # an export only reads
    assert started.status == 202, started
    job = started.body
    assert job["status"] == "queued" and job["rows_total"] == 8 and job["download_url"] is None
    path = f"{exports_path}/{job['export_id']}"
    assert call("GET", path, claims=admin(HIDA, "viewer")).body["status"] == "queued"
    deliver()
    done = call("GET", path, claims=admin(HIDA, "viewer")).body
    assert done["status"] == "completed" and done["rows_written"] == 8
    with urllib.request.urlopen(done["download_url"]) as response:
        content = response.read()
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A1"].value == "活動名" and [c.value for c in sheet[6]][:2] == ["参加記録ID", "氏名"]
    assert sheet.cell(row=6, column=10).value == "確認" and sheet.cell(row=7, column=10).value == "確認済み"
    names = [sheet.cell(row=r, column=2).value for r in range(7, sheet.max_row + 1)]
    assert len(names) == 8 and set(FORMULAS) <= set(names)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    # Delivered again: written again under the same key, nothing else changes.
    assert deliver().dead_lettered == 0
    # Another activity's path or an unknown id: 404.
    other = activity()
    assert (
        call(
            "GET",
            f"{BASE}/{other['activity_id']}/participants/exports/{job['export_id']}",
            claims=admin(HIDA),
        ).status
        == 404
    )
