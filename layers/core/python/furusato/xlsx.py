"""The one way the product writes a spreadsheet (the import report, rosters, the support export):
SpreadsheetML written directly and streamed into the zip, piece by piece (memory stays flat with
the rows).

A general writer (openpyxl, XlsxWriter) spends ~10 us a cell dispatching and re-checking each one:
a 50,000-row roster cost 12-22 s of CPU with openpyxl's write-only mode, ~1 s here
(docs/benchmarks.md, "Roster export jobs"). The product's workbooks have one shape: inline text
cells and integers in a few fixed styles, frozen headers, column widths, at most a filter; this
writes exactly that.

Every text is an inline string: never a formula, whatever it starts with (`=HYPERLINK(...)`,
`+81...`, `@SUM(...)`), and the text styles carry Excel's quote prefix and the text format, so
an edit in Excel keeps it text too. Text passes through `cell_text` (no character XML cannot
hold, Excel's length) and is escaped here: callers hand over the values as they are.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from furusato.domain.text import MAX_CELL_CHARS, cell_text

__all__ = [
    "ALERT",
    "BOLD",
    "HIGHLIGHT",
    "PLAIN",
    "TEXT",
    "TOP",
    "WRAPPED",
    "column",
    "escape",
    "sheet_end",
    "sheet_start",
    "table_sheet",
    "text",
    "text_cell",
    "text_row",
    "workbook",
    "workbook_bytes",
]

# Cell styles, by their index in styles.xml's cellXfs (the same in every workbook). TEXT and
# WRAPPED are text ("@") with Excel's quote prefix; TOP, HIGHLIGHT (yellow) and ALERT (orange)
# align to the top, as text cells do, beside wrapped ones.
PLAIN, BOLD, TEXT, WRAPPED, TOP, HIGHLIGHT, ALERT = range(7)

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


def column(index: int) -> str:
    """A column's letters from its 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMNS = tuple(column(i) for i in range(64))


def escape(value: str) -> str:
    """Text as XML character data."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value  # a bare CR would read as LF


def _attribute(value: str) -> str:
    return escape(value).replace('"', "&quot;")


def text(value: str) -> str:
    """Text fit for a cell: `cell_text`, skipped for the common printable text of Excel's length."""
    return value if value.isprintable() and len(value) <= MAX_CELL_CHARS else cell_text(value)


def text_cell(ref: str, value: str, style: int) -> str:
    """A text cell of already clean text (`text`), escaped here."""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def text_row(number: int, values: Sequence[str | int | None], style: int = TEXT) -> str:
    """Row `number` (1-based) of `values` from column A: integers as numbers, everything else as
    text that stays text; None or an empty text leaves its cell out."""
    cells = []
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = f"{_COLUMNS[index] if index < 64 else column(index)}{number}"
        if isinstance(value, int) and not isinstance(value, bool):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(text_cell(ref, text(str(value)), style))
    return f'<row r="{number}">{"".join(cells)}</row>'


def _cols(widths: Iterable[float]) -> str:
    """Column widths as Excel stores them: characters of the default font plus its padding."""
    out = []
    for index, width in enumerate(widths, 1):
        stored = int((int(width * 7 + 0.5) + 5) / 7 * 256) / 256
        out.append(f'<col min="{index}" max="{index}" width="{stored}" customWidth="1"/>')
    return f"<cols>{''.join(out)}</cols>" if out else ""


def _pane(top_left: str) -> str:
    """The frozen pane whose first scrolling cell is `top_left` (e.g. "A7": six rows frozen)."""
    letters = top_left.rstrip("0123456789")
    x = sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(letters))) - 1
    y = int(top_left[len(letters) :]) - 1
    panes = ["topRight", "bottomLeft", "bottomRight"] if x and y else ["bottomLeft"] if y else ["topRight"]
    splits = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    return f'<pane{splits} topLeftCell="{top_left}" activePane="{panes[-1]}" state="frozen"/>' + "".join(
        f'<selection pane="{p}"/>' for p in panes
    )


def sheet_start(
    widths: Iterable[float], *, selected: bool, frozen: str | None = None, dimension: str | None = None
) -> str:
    """A worksheet up to its first row: its used range if known, the frozen pane's first
    scrolling cell (`frozen`), column widths (characters)."""
    selection = ' tabSelected="1"' if selected else ""
    view = (
        f'<sheetView{selection} workbookViewId="0">{_pane(frozen)}</sheetView>'
        if frozen
        else f'<sheetView{selection} workbookViewId="0"/>'
    )
    return (
        f"{_DECLARATION}<worksheet {_NS} {_NS_R}>"
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>{_cols(widths)}<sheetData>'
    )


def sheet_end(auto_filter: str | None = None) -> str:
    """A worksheet after its last row, with a filter over `auto_filter` (a range) if given."""
    filtered = f'<autoFilter ref="{auto_filter}"/>' if auto_filter else ""
    return f"</sheetData>{filtered}{_PAGE_MARGINS}</worksheet>"


def workbook(
    target: str | IO[bytes], sheets: Sequence[tuple[str, Iterable[str]]], filter_ref: str | None = None
) -> None:
    """Write the xlsx of `sheets` (title, its XML in pieces: `sheet_start`, rows, `sheet_end`) to
    `target` (a path or a binary file), each sheet streamed into the zip as its pieces come.
    `filter_ref`: the first sheet's filter range as a defined name ('title'!$A$1:$N$9)."""
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
        f'<sheet name="{_attribute(title)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (title, _) in enumerate(sheets, 1)
    )
    defined = (
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{escape(filter_ref)}</definedName></definedNames>"
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
    # Level 1: the sheet XML is repetitive enough that higher levels gain little for their time.
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
        for index, (_, pieces) in enumerate(sheets, 1):
            # No ZIP64 record: a sheet of the largest import (MAX_DATA_ROWS) or roster is far
            # below 2 GiB, and a plain zip is what every spreadsheet application reads.
            with archive.open(f"xl/worksheets/sheet{index}.xml", "w") as entry:
                for piece in pieces:
                    entry.write(piece.encode())


def workbook_bytes(sheets: Sequence[tuple[str, Iterable[str]]], filter_ref: str | None = None) -> bytes:
    """`workbook` in memory: for workbooks small enough to answer a request with."""
    out = io.BytesIO()
    workbook(out, sheets, filter_ref)
    return out.getvalue()


def table_sheet(
    headers: Sequence[str], rows: Iterable[Sequence[str | int | None]], widths: Iterable[float]
) -> Iterator[str]:
    """A plain table: the headers (frozen), then one row per item of `rows` (`text_row`)."""
    yield sheet_start(widths, selected=True, frozen="A2") + text_row(1, headers)
    chunk: list[str] = []
    for number, values in enumerate(rows, 2):
        chunk.append(text_row(number, values))
        if len(chunk) >= 1_000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield sheet_end()
