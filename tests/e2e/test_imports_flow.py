"""The clerk's backfill story, over real HTTP on the local stack (`make run`):

a clerk downloads the template, fills it like the source's sample, uploads it through the
presigned URL (to moto), reads the job and the report, fixes two rows, uploads again, and the
registrants see their counted activities, with nothing duplicated.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
import requests

from tests.e2e.conftest import StackClient
from tests.integration.import_helpers import REAL_POSTAL, XLSX, facts, real_rows

pytestmark = pytest.mark.e2e
TAKAYAMA = "212032"  # 高山市 (test_slice counts 飛騨市's registrations: stay out of its way)
NOW = "2027-04-01T10:00:00+09:00"  # after every sample row
SATO, KOBAYASHI = "佐藤 健一", "小林 智子"


@pytest.fixture
def frozen(stack: StackClient) -> Iterator[None]:
    stack.set_clock(NOW)
    yield
    stack.reset_clock()


def fill(template: bytes, rows: list[list[str]]) -> bytes:
    """What a clerk does in Excel: type the rows under the template's header rows."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[3]][:2] == ["ID", "活動名"]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c).value = value or None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(stack: StackClient, token: str, data: bytes, filename: str) -> str:
    created = stack.post(f"/v1/admin/lgs/{TAKAYAMA}/imports", token=token, json={"filename": filename})
    assert created.status_code == 201, created.text
    form = created.json()["upload"]
    assert form["method"] == "POST" and form["url"].startswith(stack.moto_url)
    sent = requests.post(form["url"], data=form["fields"], files={"file": (filename, data, XLSX)}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return str(created.json()["import_id"])


def wait_for(stack: StackClient, token: str, import_id: str) -> dict[str, Any]:
    """Poll the job as the clerk's screen does, until the S3 dispatch has run it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = stack.get(f"/v1/admin/lgs/{TAKAYAMA}/imports/{import_id}", token=token)
        assert job.status_code == 200, job.text
        body: dict[str, Any] = job.json()
        if body["status"] in ("validated", "completed", "failed"):
            return body
        time.sleep(0.3)
    pytest.fail(f"import {import_id} did not finish:\n{stack.log_text()[-3000:]}")


def report_rows(url: str) -> list[tuple[Any, ...]]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.worksheets[0].iter_rows(values_only=True))


def counted(stack: StackClient, token: str) -> int:
    items = stack.get("/v1/me/registrations", token=token).json()["items"]
    return int(next(i for i in items if i["lg_code"] == TAKAYAMA)["progress"]["activities_counted"])


def test_a_clerk_backfills_the_sample_and_registrants_see_it_counted(
    stack: StackClient, frozen: None
) -> None:
    clerk = stack.token("e2e-import-clerk", "staff", lg_code=TAKAYAMA, staff_role="coordinator")

    # 佐藤 is a registrant already; 小林 registers after the import.
    sato = stack.token("e2e-import-sato", "registrant")
    assert stack.put("/v1/me/profile", token=sato, json=facts(SATO)).status_code == 200
    survey = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}}
    assert stack.put(f"/v1/me/registrations/{TAKAYAMA}", token=sato, json=survey).status_code == 201
    assert counted(stack, sato) == 0

    # The template, filled like the sample; two rows with mistakes.
    template = stack.get(f"/v1/admin/lgs/{TAKAYAMA}/imports/template", token=clerk, headers={"Accept": XLSX})
    assert template.status_code == 200 and template.headers["Content-Type"] == XLSX
    assert "attachment" in template.headers["Content-Disposition"]
    rows = real_rows()
    wrong = [list(r) for r in rows]
    wrong[13][9] = "1974/2/30"  # 佐藤's 草刈り row: no such birth date
    wrong[11][7] = "93-1130"  # 小林's 雪下ろし row: a digit missing from the postal code
    first_id = upload(stack, clerk, fill(template.content, wrong), "令和8年度実績.xlsx")

    first = wait_for(stack, clerk, first_id)
    assert first["status"] == "completed", first
    assert (first["rows_total"], first["rows_imported"], first["rows_rejected"]) == (14, 12, 2)
    assert (first["participants_matched"], first["participants_pending"]) == (1, 9)
    report = report_rows(first["report_url"])
    errors = {row[0]: row[2] for row in report[1:] if str(row[1]).startswith("エラー")}
    assert sorted(errors) == [15, 17]  # sheet rows (the template's header takes rows 1-3)
    assert "生年月日" in errors[17] and "存在しない日付" in errors[17]
    assert "郵便番号" in errors[15]
    assert counted(stack, sato) == 1  # 農業ボランティア; 草刈り's row was refused

    # The clerk fixes the two rows and uploads the whole file again.
    second_id = upload(stack, clerk, fill(template.content, rows), "令和8年度実績（修正）.xlsx")
    second = wait_for(stack, clerk, second_id)
    assert second["status"] == "completed", second
    assert (second["rows_total"], second["rows_imported"], second["rows_rejected"]) == (14, 14, 0)
    assert all(str(row[1]).startswith("取込済") for row in report_rows(second["report_url"])[1:])

    # 佐藤 sees both activities, once each; 小林 registers now and sees hers.
    assert counted(stack, sato) == 2
    history = stack.get("/v1/me/participations", token=sato, params={"lg_code": TAKAYAMA}).json()["items"]
    assert sorted(p["activity"]["name"] for p in history) == ["草刈り", "農業ボランティア"]
    assert all(p["source"] == "backfill" for p in history)
    # The cleaning's roster lists its six backfilled participants, none registered yet, as pending.
    listed = stack.get(
        f"/v1/admin/lgs/{TAKAYAMA}/activities",
        token=clerk,
        params={"from": "2026-04-01", "to": "2027-03-31", "limit": "200"},
    ).json()["items"]
    cleaning = next(a for a in listed if a["name"] == "清掃活動" and a["checkin_mode"] == "staff_scan")
    roster_path = f"/v1/admin/lgs/{TAKAYAMA}/activities/{cleaning['activity_id']}/participants"
    before = stack.get(roster_path, token=clerk).json()["items"]
    assert sorted(p["kind"] for p in before) == ["pending"] * 6
    assert KOBAYASHI in {p["name"] for p in before}
    assert (
        stack.get(f"/v1/admin/lgs/{TAKAYAMA}/activities/{cleaning['activity_id']}", token=clerk).json()[
            "participant_count"
        ]
        == 6
    )
    kobayashi = stack.token("e2e-import-kobayashi", "registrant")
    assert stack.put("/v1/me/profile", token=kobayashi, json=facts(KOBAYASHI)).status_code == 200
    assert stack.put(f"/v1/me/registrations/{TAKAYAMA}", token=kobayashi, json=survey).status_code == 201
    assert counted(stack, kobayashi) == 2
    mine = stack.get("/v1/me/participations", token=kobayashi, params={"lg_code": TAKAYAMA}).json()["items"]
    assert sorted(p["activity"]["name"] for p in mine) == ["清掃活動", "雪下ろし"]

    # Nothing duplicated: each sample activity exists once, with one line per participant.
    listed = stack.get(
        f"/v1/admin/lgs/{TAKAYAMA}/activities",
        token=clerk,
        params={"from": "2026-04-01", "to": "2027-03-31", "limit": "200"},
    ).json()["items"]
    sample_names = {"農業ボランティア", "イベント企画運営", "清掃活動", "雪下ろし", "草刈り"}
    backfilled = [a for a in listed if a["name"] in sample_names and a["checkin_mode"] == "staff_scan"]
    assert sorted(a["name"] for a in backfilled) == sorted(sample_names)
    # 小林 is a registrant row now, in her pending row's place: six lines, never seven.
    after = stack.get(roster_path, token=clerk).json()["items"]
    assert len(after) == 6 and all(p["source"] == "backfill" for p in after)
    [registrant] = [p for p in after if p["kind"] == "registrant"]
    assert registrant["registered"] is True and registrant["name"] == "小林 智子"
    assert registrant["participation_id"] in {p["participation_id"] for p in before}

    # The stack's log holds ids and counts, never the people in the file.
    log = stack.log_text()
    for name in REAL_POSTAL:
        assert name not in log and name.replace(" ", "") not in log


def test_a_crafted_far_cell_ends_failed_in_japanese_and_the_stack_stays_up(stack: StackClient) -> None:
    """One extra cell at XFD1048576 in a small file made the Rust reader abort the process,
    taking the whole local stack down. It is refused before any reader opens the file."""
    import re
    import zipfile

    clerk = stack.token("e2e-import-crafted", "staff", lg_code=TAKAYAMA, staff_role="coordinator")
    template = stack.get(
        f"/v1/admin/lgs/{TAKAYAMA}/imports/template", token=clerk, headers={"Accept": XLSX}
    ).content
    source = io.BytesIO(template)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                content = re.sub(rb"</sheetData>", far + b"</sheetData>", content, count=1)
            dst.writestr(info.filename, content)
    crafted = out.getvalue()
    assert len(crafted) < 64 * 1024
    job = wait_for(stack, clerk, upload(stack, clerk, crafted, "crafted.xlsx"))
    assert job["status"] == "failed" and job["failure_reason"] == "cell_out_of_range", job
    assert "様式の範囲外" in job["failure_message"]
    assert stack.get("/health").status_code == 200
