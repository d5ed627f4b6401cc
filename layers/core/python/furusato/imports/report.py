"""The per-row import report: the clerk's rows as uploaded, plus a result and a reason per row.

Every value that came from the upload is written as a *text* cell with Excel's quote prefix, so
nothing the clerk (or anyone who edited the file before them) typed can become a formula when
the report is opened: `=HYPERLINK(...)`, `+81...`, `-1`, `@SUM(...)` stay visible text (CSV/
formula injection). The column names are the template's, so a corrected report can be uploaded
again as it is: the parser ignores the extra 行番号/結果/理由 columns.

Written with the product's spreadsheet writer (`furusato.xlsx`: SpreadsheetML streamed row by row
into the zip, constant memory): a general writer spent ~10 us a cell dispatching and re-checking
each one, and the report cost more than reading and validating the file (docs/benchmarks.md, "A
cheaper report"). The rows are built here, not cell by cell through `xlsx.text_row`: an
activity's cells repeat on each of its rows and are escaped once per distinct value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from furusato import clock, xlsx
from furusato.domain.text import MAX_CELL_CHARS, cell_text
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
    # Control characters are illegal in XML; a reader would refuse the whole report. A printable
    # text of Excel's length holds none of them (the common case skips the substitution).
    return xlsx.text(text) or None


# Every uploaded value is text ("@") with Excel's quote prefix, so an edit in Excel stays text and
# "=1+2" never becomes a formula; a row's result is coloured by its status.
_STATUS_STYLE = {"ok": xlsx.TOP, "duplicate": xlsx.HIGHLIGHT, "error": xlsx.ALERT}


def _rows_sheet(rows: list[RowResult], ok_label: str) -> Iterator[str]:
    """The 取込結果 sheet: the header, then one row per data row, in chunks."""
    last = f"{xlsx.column(len(REPORT_COLUMNS) - 1)}{len(rows) + 1}"
    yield xlsx.sheet_start(_WIDTHS, selected=True, frozen="D2", dimension=f"A1:{last}") + xlsx.text_row(
        1, REPORT_COLUMNS, xlsx.BOLD
    )
    first = len(REPORT_COLUMNS) - len(COLUMNS)
    # Per uploaded column: the start of its cell up to the row number, what follows it, and
    # whether its values repeat (an activity's cells on each of its rows, birth dates, genders):
    # those are shown and escaped once per distinct value.
    repeating = {c.key for c in COLUMNS if c.group == "activity"} | {"birth_date", "gender"}
    columns = [
        (
            f'<c r="{xlsx.column(index)}',
            f'" s="{xlsx.TEXT}" t="inlineStr"><is><t xml:space="preserve">',
            column.header,
            column.key in repeating,
        )
        for index, column in enumerate(COLUMNS, first)
    ]
    labels = {status: xlsx.escape(cell_text(label)) for status, label in STATUS_LABELS.items()} | {
        "ok": xlsx.escape(ok_label)
    }
    status_cells = {
        status: f' s="{_STATUS_STYLE[status]}" t="inlineStr"><is><t xml:space="preserve">{label}</t></is></c>'
        for status, label in labels.items()
    }
    shown_of: dict[tuple[type, Any], str | None] = {}  # (type, value): 1 and True stay apart
    chunk: list[str] = []
    for number, result in enumerate(rows, 2):
        chunk.append(f'<row r="{number}"><c r="A{number}"><v>{result.row}</v></c><c r="B{number}"')
        chunk.append(status_cells[result.status])
        masked: set[str] = set()
        if result.issues:
            reason = result.reason()
            if reason:
                chunk.append(xlsx.text_cell(f"C{number}", cell_text(reason), xlsx.WRAPPED))
            masked = _masked_columns(result)
        for (start, middle, header, repeats), value in zip(columns, result.parsed.cells, strict=True):
            shown: str | None
            if masked and header in masked:  # rule 7: an individual number is never stored
                shown = xlsx.escape(_MASKED)
            elif repeats:
                key = (value.__class__, value)
                if key in shown_of:
                    shown = shown_of[key]
                else:
                    if len(shown_of) >= 50_000:
                        shown_of.clear()
                    text = display_text(value)
                    shown = shown_of[key] = None if text is None else xlsx.escape(text)
            elif value.__class__ is str and value and value.isprintable() and len(value) <= MAX_CELL_CHARS:
                shown = xlsx.escape(value)  # display_text's own common case
            else:
                text = display_text(value)
                shown = None if text is None else xlsx.escape(text)
            if shown is not None:  # None: no cell at all
                chunk.append(f"{start}{number}{middle}{shown}</t></is></c>")
        chunk.append("</row>")
        if len(chunk) > 20_000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield xlsx.sheet_end(auto_filter=f"A1:{last}")


def _summary_sheet(lines: Iterable[tuple[str, Any]], *, selected: bool) -> str:
    rows = []
    for number, (label, value) in enumerate(lines, 1):
        cells = xlsx.text_cell(f"A{number}", cell_text(label), xlsx.BOLD)
        if isinstance(value, str):
            shown = display_text(value)
            if shown is not None:
                cells += xlsx.text_cell(f"B{number}", shown, xlsx.TEXT)
        elif value is not None:
            cells += f'<c r="B{number}"><v>{value}</v></c>'
        rows.append(f'<row r="{number}">{cells}</row>')
    return xlsx.sheet_start((28, 60), selected=selected) + "".join(rows) + xlsx.sheet_end()


def _masked_columns(result: RowResult) -> set[str]:
    return {i.column for i in result.issues if i.code == "individual_number" and i.column}


def build_report(result: ValidationResult, *, committed: bool = False) -> bytes:
    """The report of a validated file. `committed`: rows were imported, not only checked (dry run)."""
    ok_label = _COMMITTED_OK if committed else STATUS_LABELS["ok"]
    source = result.sheet
    summary = _summary_sheet(
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
        selected=False,
    )
    return xlsx.workbook_bytes(
        [
            (REPORT_SHEET_TITLE, _rows_sheet(result.rows, cell_text(ok_label))),
            (SUMMARY_SHEET_TITLE, (summary,)),
        ],
        f"'{REPORT_SHEET_TITLE}'!$A$1:${xlsx.column(len(REPORT_COLUMNS) - 1)}${len(result.rows) + 1}",
    )


def build_rejection_report(error: FileRejected) -> bytes:
    """A report for a file refused as a whole: no rows were read, one reason for everything."""
    summary = _summary_sheet(
        (
            ("作成日時 (created)", clock.iso(clock.now())),
            ("状態 (state)", "取込できませんでした (rejected)"),
            ("理由 (reason)", error.message_ja),
            ("詳細 (detail)", error.message_en),
            ("コード (code)", error.reason),
        ),
        selected=True,
    )
    return xlsx.workbook_bytes([(SUMMARY_SHEET_TITLE, (summary,))])
