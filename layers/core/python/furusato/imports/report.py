"""The per-row import report: the clerk's rows as uploaded, plus a result and a reason per row.

Every value that came from the upload is written as a *text* cell with Excel's quote prefix, so
nothing the clerk (or anyone who edited the file before them) typed can become a formula when
the report is opened: `=HYPERLINK(...)`, `+81...`, `-1`, `@SUM(...)` stay visible text (CSV/
formula injection). The column names are the template's, so a corrected report can be uploaded
again as it is: the parser ignores the extra 行番号/結果/理由 columns.

Written with XlsxWriter row by row (`constant_memory`: a row is flushed to a temporary file as
soon as the next begins), ~10x faster than openpyxl's write-only mode (docs/benchmarks.md).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

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


class _Formats:
    """The report's few cell formats, made once per workbook."""

    def __init__(self, workbook: Workbook) -> None:
        # Text: an edit in Excel stays text too; the quote prefix keeps "=1+2" from ever
        # becoming a formula.
        self.text = workbook.add_format({"num_format": "@", "quote_prefix": True, "valign": "top"})
        self.wrapped = workbook.add_format(
            {"num_format": "@", "quote_prefix": True, "valign": "top", "text_wrap": True}
        )
        self.bold = workbook.add_format({"bold": True})
        self.top = workbook.add_format({"valign": "top"})
        self.fills: dict[str, Format] = {
            status: workbook.add_format({"bg_color": f"#{color}", "pattern": 1, "valign": "top"})
            for status, color in _FILLS.items()
            if color
        }


def _new_workbook(out: io.BytesIO) -> tuple[Workbook, _Formats]:
    workbook = Workbook(
        out,
        {
            "constant_memory": True,
            # Every upload value is written with write_string: never read as a number, formula or URL.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    return workbook, _Formats(workbook)


def _masked_columns(result: RowResult) -> set[str]:
    return {i.column for i in result.issues if i.code == "individual_number" and i.column}


def _start_rows_sheet(workbook: Workbook, formats: _Formats) -> Worksheet:
    sheet = workbook.add_worksheet(REPORT_SHEET_TITLE)
    for index, width in enumerate(_WIDTHS):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 3)  # D2
    for index, header in enumerate(REPORT_COLUMNS):
        sheet.write_string(0, index, header, formats.bold)
    return sheet


def _write_rows(sheet: Worksheet, formats: _Formats, rows: list[RowResult], ok_label: str) -> None:
    write_string, text = sheet.write_string, formats.text
    first = len(REPORT_COLUMNS) - len(COLUMNS)
    labels = {status: cell_text(label) for status, label in STATUS_LABELS.items()} | {"ok": ok_label}
    for number, result in enumerate(rows, 1):
        sheet.write_number(number, 0, result.row)
        write_string(number, 1, labels[result.status], formats.fills.get(result.status, formats.top))
        if result.issues:
            reason = result.reason()
            if reason:
                write_string(number, 2, cell_text(reason), formats.wrapped)
            masked = _masked_columns(result)
        else:
            masked = set()
        for index, (column, value) in enumerate(zip(COLUMNS, result.parsed.cells, strict=True), first):
            # Rule 7: an individual number is never stored, not even in the report.
            shown = _MASKED if masked and column.header in masked else display_text(value)
            if shown is not None:  # None: no cell at all
                write_string(number, index, shown, text)


def _summary_sheet(workbook: Workbook, formats: _Formats, lines: Iterable[tuple[str, Any]]) -> None:
    sheet = workbook.add_worksheet(SUMMARY_SHEET_TITLE)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 60)
    for number, (label, value) in enumerate(lines):
        sheet.write_string(number, 0, cell_text(label), formats.bold)
        if isinstance(value, str):
            shown = display_text(value)
            if shown is not None:
                sheet.write_string(number, 1, shown, formats.text)
        elif value is not None:
            sheet.write_number(number, 1, value)


def _save(workbook: Workbook, out: io.BytesIO) -> bytes:
    workbook.close()
    return out.getvalue()


def build_report(result: ValidationResult, *, committed: bool = False) -> bytes:
    """The report of a validated file. `committed`: rows were imported, not only checked (dry run)."""
    out = io.BytesIO()
    workbook, formats = _new_workbook(out)
    sheet = _start_rows_sheet(workbook, formats)
    ok_label = _COMMITTED_OK if committed else STATUS_LABELS["ok"]
    _write_rows(sheet, formats, result.rows, cell_text(ok_label))
    sheet.autofilter(0, 0, len(result.rows), len(REPORT_COLUMNS) - 1)
    source = result.sheet
    _summary_sheet(
        workbook,
        formats,
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
    return _save(workbook, out)


def build_rejection_report(error: FileRejected) -> bytes:
    """A report for a file refused as a whole: no rows were read, one reason for everything."""
    out = io.BytesIO()
    workbook, formats = _new_workbook(out)
    _summary_sheet(
        workbook,
        formats,
        (
            ("作成日時 (created)", clock.iso(clock.now())),
            ("状態 (state)", "取込できませんでした (rejected)"),
            ("理由 (reason)", error.message_ja),
            ("詳細 (detail)", error.message_en),
            ("コード (code)", error.reason),
        ),
    )
    return _save(workbook, out)
