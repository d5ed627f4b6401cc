"""The per-row import report: the clerk's rows as uploaded, plus a result and a reason per row.

Every value that came from the upload is written as a *text* cell with Excel's quote prefix, so
nothing the clerk (or anyone who edited the file before them) typed can become a formula when
the report is opened: `=HYPERLINK(...)`, `+81...`, `-1`, `@SUM(...)` stay visible text (CSV/
formula injection). The column names are the template's, so a corrected report can be uploaded
again as it is: the parser ignores the extra 行番号/結果/理由 columns.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from furusato import clock
from furusato.domain.text import cell_text
from furusato.imports import COLUMNS, FileRejected
from furusato.imports.validate import RowResult, RowStatus, ValidationResult

__all__ = ["REPORT_COLUMNS", "STATUS_LABELS", "build_rejection_report", "build_report", "display_text"]

REPORT_SHEET_TITLE = "取込結果"
SUMMARY_SHEET_TITLE = "概要"
REPORT_COLUMNS: tuple[str, ...] = ("行番号", "結果", "理由", *(c.header for c in COLUMNS))
STATUS_LABELS: dict[RowStatus, str] = {
    "ok": "取込可 (valid)",
    "duplicate": "重複・1件として取込 (duplicate)",
    "error": "エラー・未取込 (error)",
}
_COMMITTED_OK = "取込済 (imported)"
_MASKED = "（個人番号と思われる数字を含むため表示しません）"
_FILLS = {"ok": None, "duplicate": "FFF2CC", "error": "F8CBAD"}
_WIDTHS = (8, 20, 60, 10, 22, 18, 18, 22, 18, 16, 11, 36, 12, 10)


def display_text(value: Any) -> str | None:
    """An uploaded value as the text the report shows (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, datetime):
        fmt = "%Y/%m/%d %H:%M:%S" if value.second else "%Y/%m/%d %H:%M"
        text = value.strftime(fmt)
    elif isinstance(value, date):
        text = f"{value.year}/{value.month}/{value.day}"
    elif isinstance(value, time):
        text = value.strftime("%H:%M")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    # Control characters are illegal in XML; openpyxl would refuse the whole report.
    text = cell_text(text)
    return text or None


class _Cells:
    """Cell factory of one write-only sheet. Styles are built once: per-cell style objects would
    dominate the time of a 100,000-row report."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        proto = WriteOnlyCell(sheet, value="")
        proto.number_format = "@"  # Text: an edit in Excel stays text too
        proto.quotePrefix = True
        proto.alignment = Alignment(vertical="top", wrap_text=False)
        self._text_style = proto._style
        wrapped = WriteOnlyCell(sheet, value="")
        wrapped.number_format = "@"
        wrapped.quotePrefix = True
        wrapped.alignment = Alignment(vertical="top", wrap_text=True)
        self._wrapped_style = wrapped._style
        self._fills: dict[str, Any] = {}
        for status, color in _FILLS.items():
            if color:
                cell = WriteOnlyCell(sheet, value="")
                cell.fill = PatternFill("solid", fgColor=color)
                cell.alignment = Alignment(vertical="top")
                self._fills[status] = cell._style

    def text(self, value: str | None, *, wrap: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=value)
        if value is not None:
            cell.data_type = "s"  # even "=1+2" or "@x": the value setter would have said "f"
        cell._style = self._wrapped_style if wrap else self._text_style  # shared, never mutated
        return cell

    def status(self, status: RowStatus, label: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=cell_text(label))
        cell.data_type = "s"
        if status in self._fills:
            cell._style = self._fills[status]
        return cell

    def plain(self, value: Any, *, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=cell_text(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        return cell


def _masked_columns(result: RowResult) -> set[str]:
    return {i.column for i in result.issues if i.code == "individual_number" and i.column}


def _row_cells(cells: _Cells, result: RowResult, ok_label: str) -> list[WriteOnlyCell | int | None]:
    label = ok_label if result.status == "ok" else STATUS_LABELS[result.status]
    masked = _masked_columns(result) if result.issues else ()
    reason = result.reason() if result.issues else None
    out: list[WriteOnlyCell | int | None] = [
        result.row,
        cells.status(result.status, label),
        cells.text(reason, wrap=True) if reason else None,
    ]
    for column, value in zip(COLUMNS, result.parsed.cells, strict=True):
        # Rule 7: an individual number is never stored, not even in the report.
        shown = _MASKED if column.header in masked else display_text(value)
        out.append(None if shown is None else cells.text(shown))  # None: no cell at all
    return out


def _start_rows_sheet(workbook: Workbook) -> tuple[WriteOnlyWorksheet, _Cells]:
    sheet = workbook.create_sheet(REPORT_SHEET_TITLE)
    assert isinstance(sheet, WriteOnlyWorksheet)
    for index, width in enumerate(_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "D2"
    cells = _Cells(sheet)
    sheet.append([cells.plain(h, bold=True) for h in REPORT_COLUMNS])
    return sheet, cells


def _summary_sheet(workbook: Workbook, lines: Iterable[tuple[str, Any]]) -> None:
    sheet = workbook.create_sheet(SUMMARY_SHEET_TITLE)
    assert isinstance(sheet, WriteOnlyWorksheet)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    cells = _Cells(sheet)
    for label, value in lines:
        value_cell = cells.text(display_text(value)) if isinstance(value, str) else cells.plain(value)
        sheet.append([cells.plain(label, bold=True), value_cell])


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_report(result: ValidationResult, *, committed: bool = False) -> bytes:
    """The report of a validated file. `committed`: rows were imported, not only checked (dry run)."""
    workbook = Workbook(write_only=True)
    sheet, cells = _start_rows_sheet(workbook)
    ok_label = _COMMITTED_OK if committed else STATUS_LABELS["ok"]
    for row in result.rows:
        sheet.append(_row_cells(cells, row, ok_label))
    last = len(result.rows) + 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(REPORT_COLUMNS))}{last}"
    source = result.sheet
    _summary_sheet(
        workbook,
        (
            ("作成日時 (created)", clock.iso(clock.now())),
            ("状態 (state)", "取込済 (imported)" if committed else "確認のみ・未取込 (dry run)"),
            ("シート (sheet)", source.sheet_name),
            ("見出し行 (header row)", source.header_row),
            ("行数 (rows)", result.rows_total),
            ("取込可 (valid)", result.rows_valid),
            ("重複 (duplicate)", result.rows_duplicate),
            ("エラー (error)", result.rows_rejected),
            ("活動数 (activities)", len(result.activities)),
            ("参加記録 (participations)", len(result.participations)),
            ("参加者数 (people)", result.people),
        ),
    )
    return _save(workbook)


def build_rejection_report(error: FileRejected) -> bytes:
    """A report for a file refused as a whole: no rows were read, one reason for everything."""
    workbook = Workbook(write_only=True)
    _summary_sheet(
        workbook,
        (
            ("作成日時 (created)", clock.iso(clock.now())),
            ("状態 (state)", "取込できませんでした (rejected)"),
            ("理由 (reason)", error.message_ja),
            ("詳細 (detail)", error.message_en),
            ("コード (code)", error.reason),
        ),
    )
    return _save(workbook)
