"""The participant roster of an activity (and the support export's table) as xlsx workbooks,
written with the product's spreadsheet writer (`furusato.xlsx`).

Every value is an inline text cell with Excel's quote prefix (integers of the support export
excepted): a name like `=HYPERLINK(...)` or `@SUM(...)` stays text, in Excel and in anything the
sheet is later converted to; control characters are dropped at the cell.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from furusato import xlsx
from furusato.clock import iso
from furusato.domain.activity import Activity

SHEET_TITLE = "参加者"
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


def _row(line: dict[str, Any]) -> list[str | None]:
    return [
        line["participation_id"],
        line["name"],
        "はい" if line["registered"] else "いいえ",
        line["registration_id"],
        SOURCE_LABELS.get(line["source"], line["source"]),
        MODE_LABELS.get(line["checkin_mode"], line["checkin_mode"]),
        line["checked_in_at"],
        line["recorded_at"],
        "はい" if line["offline"] else "いいえ",
        STATUS_LABELS.get(line["status"], line["status"]),
    ]


# Columns A-J of the roster, in characters.
_WIDTHS = (32, 20, 8, 32, 12, 14, 26, 26, 10, 10)
HEADER_ROW = 6


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[str | int]]) -> bytes:
    """A one-sheet table (headers, frozen, then rows): integers as numbers, all else text."""
    return xlsx.workbook_bytes([(title, xlsx.table_sheet(headers, rows, ()))])


def _roster_sheet(
    activity: Activity, pages: Iterable[list[dict[str, Any]]], written: list[int]
) -> Iterator[str]:
    """The 参加者 sheet: the activity, the headers, then a row per roster line, a page at a time;
    `written` counts the lines as they are written."""
    yield xlsx.sheet_start(_WIDTHS, selected=True, frozen=f"A{HEADER_ROW + 1}") + "".join(
        (
            xlsx.text_row(1, ["活動名", activity.name]),
            xlsx.text_row(2, ["活動ID", activity.activity_id]),
            xlsx.text_row(3, ["開始", iso(activity.starts_at), "終了", iso(activity.ends_at)]),
            xlsx.text_row(4, ["場所", activity.place]),
            xlsx.text_row(HEADER_ROW, HEADERS),
        )
    )
    number = HEADER_ROW
    for page in pages:
        rows = []
        for line in page:
            number += 1
            rows.append(xlsx.text_row(number, _row(line)))
        written[0] += len(rows)
        yield "".join(rows)
    yield xlsx.sheet_end()


def write_roster(activity: Activity, pages: Iterable[list[dict[str, Any]]], target: str | IO[bytes]) -> int:
    """The roster's workbook written to `target` (a path or a binary file) page by page as
    `pages` yields them (memory stays flat with the roster's size). Returns the rows written;
    `pages` may report progress as it is consumed."""
    written = [0]
    xlsx.workbook(target, [(SHEET_TITLE, _roster_sheet(activity, pages, written))])
    return written[0]


def roster_workbook(activity: Activity, lines: Iterable[dict[str, Any]]) -> bytes:
    """The roster's workbook in memory, for the request that answers with it. `lines` are roster
    lines (views/participation.py)."""
    out = io.BytesIO()
    write_roster(activity, [list(lines)], out)
    return out.getvalue()
