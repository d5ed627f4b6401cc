"""The participant roster of an activity as an xlsx workbook.

Every cell is written as a string cell with Excel's quote prefix: a name like `=HYPERLINK(...)`
or `@SUM(...)` stays text, in Excel and in anything the sheet is later converted to.
openpyxl is imported here only, by the functions that export (check-in, support), on export
requests.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from furusato.clock import iso
from furusato.domain.activity import Activity
from furusato.domain.text import cell_text

HEADERS = (
    "参加記録ID",
    "氏名",
    "登録者",
    "登録ID",
    "記録方法",
    "チェックイン方式",
    "チェックイン日時",
    "記録日時",
    "オフライン",
    "確認",
)
SOURCE_LABELS = {"qr": "QRコード", "staff_scan": "職員読取", "backfill": "様式取込"}
# An offline scan that arrived after the window counts only once staff confirm it.
STATUS_LABELS = {"confirmed": "確認済み", "unconfirmed": "未確認", "rejected": "却下"}
MODE_LABELS = {"static_qr": "固定QR", "rotating_qr": "変動QR", "staff_scan": "会員証読取"}


def _row(line: dict[str, Any]) -> list[str]:
    return [
        line["participation_id"],
        line["name"] or "",
        "はい" if line["registered"] else "いいえ",
        line["registration_id"] or "",
        SOURCE_LABELS.get(line["source"], line["source"]),
        MODE_LABELS.get(line["checkin_mode"], line["checkin_mode"]),
        line["checked_in_at"],
        line["recorded_at"],
        "はい" if line["offline"] else "いいえ",
        STATUS_LABELS.get(line["status"], line["status"]),
    ]


def write_row(sheet: Any, row: int, values: Sequence[str | int]) -> None:
    """One row of cells: integers as numbers, everything else as text that stays text."""
    for col, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=col)
        if isinstance(value, int) and not isinstance(value, bool):
            cell.value = value
            continue
        # Illegal XML characters would make openpyxl refuse the whole roster.
        cell.value = cell_text(str(value))
        # openpyxl turns a string starting with "=" into a formula: force a string cell.
        cell.data_type = "s"
        cell.quotePrefix = True


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[str | int]]) -> bytes:
    """A one-sheet table (headers, then rows) written with `write_row`: formula-safe."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    write_row(sheet, 1, headers)
    for index, values in enumerate(rows, start=2):
        write_row(sheet, index, values)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_workbook(activity: Activity, lines: Iterable[dict[str, Any]]) -> bytes:
    """`lines` are roster lines (views/participation.py)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "参加者"
    write_row(sheet, 1, ["活動名", activity.name])
    write_row(sheet, 2, ["活動ID", activity.activity_id])
    write_row(sheet, 3, ["開始", iso(activity.starts_at), "終了", iso(activity.ends_at)])
    write_row(sheet, 4, ["場所", activity.place])
    write_row(sheet, 6, HEADERS)
    row = 7
    for line in lines:
        write_row(sheet, row, _row(line))
        row += 1
    for letter, width in zip("ABCDEFGHIJ", (32, 20, 8, 32, 12, 14, 26, 26, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A7"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cells(sheet: Any, values: Sequence[str]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        cell.quotePrefix = True
        cells.append(cell)
    return cells


def write_roster(activity: Activity, pages: Iterable[list[dict[str, Any]]], path: str) -> int:
    """The same workbook as `roster_workbook`, written page by page to `path` with openpyxl's
    write-only mode (rows go to a temporary file as they come: memory stays flat with the
    roster's size). Returns the rows written; `pages` may report progress as it is consumed."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("参加者")
    for letter, width in zip("ABCDEFGHIJ", (32, 20, 8, 32, 12, 14, 26, 26, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A7"
    sheet.append(_text_cells(sheet, ["活動名", activity.name]))
    sheet.append(_text_cells(sheet, ["活動ID", activity.activity_id]))
    sheet.append(_text_cells(sheet, ["開始", iso(activity.starts_at), "終了", iso(activity.ends_at)]))
    sheet.append(_text_cells(sheet, ["場所", activity.place]))
    sheet.append([])
    sheet.append(_text_cells(sheet, HEADERS))
    rows = 0
    for page in pages:
        for line in page:
            sheet.append(_text_cells(sheet, _row(line)))
            rows += 1
    book.save(path)
    return rows
