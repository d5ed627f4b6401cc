"""The official backfill template: layout, formats, the 性別 list, the help sheet, and a round trip."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from furusato import clock
from furusato.clock import JST
from furusato.imports import COLUMNS, analyse
from furusato.imports.rows import parse_xlsx
from furusato.imports.safety import check_xlsx
from furusato.imports.template import (
    DATA_FIRST_ROW,
    FORMATTED_ROWS,
    GENDER_CHOICES,
    HEADER_ROW,
    build_template,
)
from tests.fixtures.imports import HEADERS, sample_rows, source_sheet

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template()))


def test_sheets(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["活動実績", "記入方法"]


def test_layout_matches_the_official_sheet(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["活動実績"]
    group, marks, header = source_sheet()[:3]
    assert [sheet.cell(1, c).value for c in (1, 7)] == ["活動情報", "参加者情報"]
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:F1", "G1:K1"]
    assert [sheet.cell(2, c).value for c in range(1, 12)] == marks
    assert [sheet.cell(HEADER_ROW, c).value for c in range(1, 12)] == header == list(HEADERS)
    assert group[0] == "活動情報" and group[6] == "参加者情報"
    assert sheet.cell(HEADER_ROW + 1, 1).value is None  # no sample data left in the template
    assert sheet.freeze_panes == "A4"


def test_number_formats(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["活動実績"]
    last = DATA_FIRST_ROW + FORMATTED_ROWS - 1
    for row in (DATA_FIRST_ROW, last):
        assert sheet[f"C{row}"].number_format == "yyyy/m/d h:mm"
        assert sheet[f"D{row}"].number_format == "yyyy/m/d h:mm"
        assert sheet[f"J{row}"].number_format == "yyyy/m/d"
        assert sheet[f"H{row}"].number_format == "@"  # postal codes stay text: 067-3214 keeps its 0


def test_gender_is_a_list(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["活動実績"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"男性,女性,その他,回答しない"'
    assert GENDER_CHOICES == ("男性", "女性", "その他", "回答しない")
    assert str(validation.sqref) == f"K{DATA_FIRST_ROW}:K{DATA_FIRST_ROW + FORMATTED_ROWS - 1}"
    assert validation.showErrorMessage


def test_help_sheet_explains_every_column(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["記入方法"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0] in HEADERS}
    assert list(rows) == list(HEADERS)
    for column in COLUMNS:
        _, group, required, description, example = rows[column.header]
        assert group in ("活動情報", "参加者情報")
        assert required == ("必須" if column.required else "任意")
        assert description == column.description and example == column.example
    text = "\n".join(str(c) for r in sheet.iter_rows(values_only=True) for c in r if c)
    assert "2026年4月10日 10:00" in text and "令和8年(2026年)4月1日" in text


def test_template_has_no_formulas(workbook: openpyxl.Workbook) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_template_passes_the_safety_checks_and_parses_empty() -> None:
    data = build_template()
    check_xlsx(data)
    for reader in ("calamine", "openpyxl"):
        sheet = parse_xlsx(data, reader=reader)
        assert (sheet.sheet_name, sheet.header_row, sheet.rows) == ("活動実績", HEADER_ROW, [])


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_template_filled_like_the_sample(reader: str) -> None:
    """A clerk fills the template: typed dates become Excel dates in the formatted cells."""
    book = openpyxl.load_workbook(io.BytesIO(build_template()))
    sheet = book["活動実績"]
    for offset, row in enumerate(sample_rows()):
        for column, value in enumerate(row, 1):
            cell = sheet.cell(DATA_FIRST_ROW + offset, column)
            if column in (3, 4):
                cell.value = datetime.strptime(value, "%Y年%m月%d日 %H:%M")
            elif column == 10:
                cell.value = datetime.strptime(value, "%Y/%m/%d")
            else:
                cell.value = value or None
    out = io.BytesIO()
    book.save(out)
    clock.freeze(datetime(2027, 4, 1, tzinfo=JST))
    try:
        result = analyse(out.getvalue(), lg_code="212172", reader=reader)  # type: ignore[arg-type]
    finally:
        clock.unfreeze()
    assert (result.rows_valid, len(result.activities), result.people) == (14, 5, 10)
    assert result.rows[0].row == DATA_FIRST_ROW


def test_openpyxl_is_imported_only_by_the_imports_package() -> None:
    code = (
        "import sys\n"
        "import furusato, furusato.domain.profile, furusato.domain.postal, furusato.clock\n"
        "import furusato.imports, furusato.imports.safety\n"
        "import furusato.imports.readers, furusato.imports.cells, furusato.imports.rows\n"
        "import furusato.imports.validate\n"
        "heavy = ('openpyxl', 'xlsxwriter', 'python_calamine', 'boto3', 'pynamodb')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
