"""The per-row import report: the clerk's rows as uploaded, plus a result and a reason per row.

Every value that came from the upload is written as a *text* cell with Excel's quote prefix, so
nothing the clerk (or anyone who edited the file before them) typed can become a formula when
the report is opened: `=HYPERLINK(...)`, `+81...`, `-1`, `@SUM(...)` stay visible text (CSV/
formula injection). The column names are the template's, so a corrected report can be uploaded
again as it is: the parser ignores the extra 行番号/結果/理由 columns.

Written directly as SpreadsheetML, streamed row by row into the zip entry (constant memory): a
report has one layout (inline text cells in seven styles, numbers, one frozen header row and a
filter), and a general writer spent ~10 us a cell dispatching and re-checking each one: the
report cost more than reading and validating the file (docs/benchmarks.md, "A cheaper report").
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from furusato import clock
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
    # Control characters are illegal in XML; openpyxl would refuse the whole report. A printable
    # text of Excel's length holds none of them (the common case skips the substitution).
    if not (text.isprintable() and len(text) <= MAX_CELL_CHARS):
        text = cell_text(text)
    return text or None


# ---------------------------------------------------------------------------------------------
# The workbook's parts. Cell styles, by their index in styles.xml's cellXfs: every uploaded value
# is text ("@") with Excel's quote prefix, so an edit in Excel stays text and "=1+2" never
# becomes a formula.
_DEFAULT, _BOLD, _TEXT, _WRAPPED, _TOP, _DUPLICATE_FILL, _ERROR_FILL = range(7)
_STATUS_STYLE = {"ok": _TOP, "duplicate": _DUPLICATE_FILL, "error": _ERROR_FILL}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TOP_ALIGNED = '<alignment vertical="top"/>'
_STYLES = (
    f"{_DECLARATION}<styleSheet {_NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/><bgColor indexed="64"/>'
    "</patternFill></fill>"
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF8CBAD"/><bgColor indexed="64"/>'
    "</patternFill></fill>"
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyNumberFormat="1"'
    f' applyAlignment="1">{_TOP_ALIGNED}</xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyNumberFormat="1"'
    ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">{_TOP_ALIGNED}</xf>'
    '<xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1" applyAlignment="1">'
    f"{_TOP_ALIGNED}</xf>"
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1" applyAlignment="1">'
    f"{_TOP_ALIGNED}</xf>"
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_PAGE_MARGINS = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'


def _letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text  # a bare CR would read as LF


def _cols(widths: Iterable[float]) -> str:
    """Column widths as Excel stores them: characters of the default font plus its padding."""
    out = []
    for index, width in enumerate(widths, 1):
        stored = int((int(width * 7 + 0.5) + 5) / 7 * 256) / 256
        out.append(f'<col min="{index}" max="{index}" width="{stored}" customWidth="1"/>')
    return f"<cols>{''.join(out)}</cols>"


def _text_cell(ref: str, text: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_escape(text)}</t></is></c>'


def _rows_sheet(rows: list[RowResult], ok_label: str) -> Iterator[str]:
    """The 取込結果 sheet: the header, then one row per data row, in chunks."""
    last = f"{_letters(len(REPORT_COLUMNS) - 1)}{len(rows) + 1}"
    yield (
        f"{_DECLARATION}<worksheet {_NS} {_NS_R}>"
        f'<dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane xSplit="3" ySplit="1" topLeftCell="D2" activePane="bottomRight" state="frozen"/>'
        '<selection pane="topRight"/><selection pane="bottomLeft"/><selection pane="bottomRight"/>'
        "</sheetView></sheetViews>"
        f'<sheetFormatPr defaultRowHeight="15"/>{_cols(_WIDTHS)}<sheetData>'
        '<row r="1">'
        + "".join(_text_cell(f"{_letters(i)}1", h, _BOLD) for i, h in enumerate(REPORT_COLUMNS))
        + "</row>"
    )
    first = len(REPORT_COLUMNS) - len(COLUMNS)
    # Per uploaded column: the start of its cell up to the row number, what follows it, and
    # whether its values repeat (an activity's cells on each of its rows, birth dates, genders):
    # those are shown and escaped once per distinct value.
    repeating = {c.key for c in COLUMNS if c.group == "activity"} | {"birth_date", "gender"}
    columns = [
        (
            f'<c r="{_letters(index)}',
            f'" s="{_TEXT}" t="inlineStr"><is><t xml:space="preserve">',
            column.header,
            column.key in repeating,
        )
        for index, column in enumerate(COLUMNS, first)
    ]
    labels = {status: _escape(cell_text(label)) for status, label in STATUS_LABELS.items()} | {
        "ok": _escape(ok_label)
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
                chunk.append(_text_cell(f"C{number}", cell_text(reason), _WRAPPED))
            masked = _masked_columns(result)
        for (start, middle, header, repeats), value in zip(columns, result.parsed.cells, strict=True):
            shown: str | None
            if masked and header in masked:  # rule 7: an individual number is never stored
                shown = _escape(_MASKED)
            elif repeats:
                key = (value.__class__, value)
                if key in shown_of:
                    shown = shown_of[key]
                else:
                    if len(shown_of) >= 50_000:
                        shown_of.clear()
                    text = display_text(value)
                    shown = shown_of[key] = None if text is None else _escape(text)
            elif value.__class__ is str and value and value.isprintable() and len(value) <= MAX_CELL_CHARS:
                shown = _escape(value)  # display_text's own common case
            else:
                text = display_text(value)
                shown = None if text is None else _escape(text)
            if shown is not None:  # None: no cell at all
                chunk.append(f"{start}{number}{middle}{shown}</t></is></c>")
        chunk.append("</row>")
        if len(chunk) > 20_000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield f'</sheetData><autoFilter ref="A1:{last}"/>{_PAGE_MARGINS}</worksheet>'


def _summary_sheet(lines: Iterable[tuple[str, Any]], *, selected: bool) -> str:
    rows = []
    for number, (label, value) in enumerate(lines, 1):
        cells = _text_cell(f"A{number}", cell_text(label), _BOLD)
        if isinstance(value, str):
            shown = display_text(value)
            if shown is not None:
                cells += _text_cell(f"B{number}", shown, _TEXT)
        elif value is not None:
            cells += f'<c r="B{number}"><v>{value}</v></c>'
        rows.append(f'<row r="{number}">{cells}</row>')
    selection = ' tabSelected="1"' if selected else ""
    return (
        f"{_DECLARATION}<worksheet {_NS} {_NS_R}>"
        f'<sheetViews><sheetView{selection} workbookViewId="0"/></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{_cols((28, 60))}'
        f"<sheetData>{''.join(rows)}</sheetData>{_PAGE_MARGINS}</worksheet>"
    )


def _workbook(sheets: list[tuple[str, Iterable[str]]], filter_ref: str | None) -> bytes:
    """The xlsx of `sheets` (title, its XML in pieces), streamed into the zip."""
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    relations = "".join(
        f'<Relationship Id="rId{i}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    names = "".join(
        f'<sheet name="{_escape(title)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (title, _) in enumerate(sheets, 1)
    )
    defined = (
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{_escape(filter_ref)}</definedName></definedNames>"
        if filter_ref
        else ""
    )
    parts = {
        "[Content_Types].xml": (
            f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{types}</Types>"
        ),
        "_rels/.rels": (
            f'{_DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f"{_DECLARATION}<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews>"
            f"<sheets>{names}</sheets>{defined}</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{relations}<Relationship Id="rId{len(sheets) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": _STYLES,
    }
    out = io.BytesIO()
    # Level 1: the sheet XML is repetitive enough that higher levels gain little for their time.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for index, (_, pieces) in enumerate(sheets, 1):
            # No ZIP64 record: the sheet of the largest file (MAX_DATA_ROWS) is far below 2 GiB,
            # and a plain zip is what every spreadsheet application reads.
            with archive.open(f"xl/worksheets/sheet{index}.xml", "w") as entry:
                for piece in pieces:
                    entry.write(piece.encode())
    return out.getvalue()


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
    return _workbook(
        [
            (REPORT_SHEET_TITLE, _rows_sheet(result.rows, cell_text(ok_label))),
            (SUMMARY_SHEET_TITLE, (summary,)),
        ],
        f"'{REPORT_SHEET_TITLE}'!$A$1:${_letters(len(REPORT_COLUMNS) - 1)}${len(result.rows) + 1}",
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
    return _workbook([(SUMMARY_SHEET_TITLE, (summary,))], None)
