"""Spreadsheet backfill of activities held from 2026-04 (DOMAIN.md, "The backfill template").

Storage-independent core, in the order an import runs:

    safety.check_xlsx(data)                      refuse oversized, zip-bomb, macro, non-xlsx files
    rows.parse_xlsx(data, reader=None)           find the header, read (readers.py) and type every
                                                 cell (cells.py) of every row
    validate.validate(sheet, lg_code=..., now=None)
                                                 per-row issues, grouped activities and participations
                                                 with deterministic keys
    report.build_report(result, committed=...)   the per-row xlsx report (bytes)
    template.build_template()                    the official empty template (bytes)

`analyse()` runs the first three (`isolated=True`, as the imports function does: the reading in a
child process under a memory limit, streaming its rows to this one, which checks, types and
validates them meanwhile: `read_isolated`). Every file-level refusal raises
`FileRejected` with a reason code; row-level problems never raise, they are reported per row.

This module stays light: openpyxl is imported by template and by the openpyxl reader only,
so a handler that only builds URLs does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Literal

from furusato.domain.errors import InvalidInput

if TYPE_CHECKING:
    from furusato.imports.readers import ReaderName
    from furusato.imports.rows import ParsedSheet, RawRows, RawSheet
    from furusato.imports.validate import ValidationResult

__all__ = ["COLUMNS", "COLUMN_BY_KEY", "Column", "FileRejected", "analyse", "read_checked", "read_isolated"]

ColumnKey = Literal[
    "activity_ref",
    "activity_name",
    "starts_at",
    "ends_at",
    "place",
    "conditions",
    "name",
    "postal_code",
    "address",
    "birth_date",
    "gender",
]


@dataclass(frozen=True)
class Column:
    key: ColumnKey
    header: str  # exactly as in the official template
    required: bool
    group: Literal["activity", "participant"]
    # Other headers real files use for the same column (compared after header normalisation).
    aliases: tuple[str, ...]
    description: str
    example: str


# The official column order. Template, parser and report all derive from this one table.
COLUMNS: tuple[Column, ...] = (
    Column(
        "activity_ref",
        "ID",
        False,
        "activity",
        ("活動ID", "活動番号"),
        "同じ活動の行に同じIDを入れると、1つの活動としてまとめます。空欄の場合は活動名・開始日時・"
        "終了日時・活動場所が同じ行をまとめます。同じIDの2行目以降は活動情報を空欄にしてもかまいません。",
        "EVT-001",
    ),
    Column(
        "activity_name", "活動名", True, "activity", ("活動名称",), "担い手活動の名称。", "農業ボランティア"
    ),
    Column(
        "starts_at",
        "活動開始日時",
        True,
        "activity",
        ("開始日時", "活動開始"),
        "日本時間の日付と時刻。令和8年(2026年)4月1日以降。",
        "2026/4/10 10:00",
    ),
    Column(
        "ends_at",
        "活動終了日時",
        True,
        "activity",
        ("終了日時", "活動終了"),
        "日本時間の日付と時刻。開始日時より後。",
        "2026/4/10 12:00",
    ),
    Column(
        "place", "活動場所", True, "activity", ("場所", "実施場所"), "活動を行った場所。", "市中央ホールA"
    ),
    Column("conditions", "参加条件", False, "activity", (), "参加の条件があれば記入。", "先着30名"),
    Column(
        "name",
        "氏名",
        True,
        "participant",
        ("名前", "参加者氏名"),
        "姓と名の間の空白は全角・半角どちらでもかまいません。本人確認情報と照合します。",
        "佐藤 健一",
    ),
    Column(
        "postal_code",
        "郵便番号",
        True,
        "participant",
        ("〒",),
        "7桁。ハイフンはあってもなくてもかまいません。",
        "124-7834",
    ),
    Column(
        "address",
        "住所(除郵便番号)",
        True,
        "participant",
        ("住所", "住所(郵便番号除く)", "住所(郵便番号を除く)"),
        "都道府県から記入。",
        "東京都新宿区○○1丁目2番地",
    ),
    Column(
        "birth_date",
        "生年月日",
        True,
        "participant",
        (),
        "西暦(1974/2/18)または和暦(昭和49年2月18日)。",
        "1974/2/18",
    ),
    Column(
        "gender",
        "性別",
        True,
        "participant",
        (),
        "男性・女性・その他・回答しない から選択。",
        "男性",
    ),
)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}


class FileRejected(InvalidInput):
    """The whole file is refused (unsafe, not an xlsx, no header row...): nothing was imported.

    `reason` is a stable machine code for the job status; `message_ja` is what the clerk reads.
    """

    code = "IMPORT_FILE_REJECTED"

    def __init__(self, reason: str, message_ja: str, message_en: str, **details: object) -> None:
        super().__init__(message_en, details={"reason": reason, "message_ja": message_ja, **details})
        self.reason = reason
        self.message_ja = message_ja
        self.message_en = message_en


def analyse(
    data: bytes,
    *,
    lg_code: str,
    reader: ReaderName | None = None,
    now: datetime | None = None,
    isolated: bool = False,
) -> ValidationResult:
    """Safety checks, parsing and validation of one uploaded file. Raises FileRejected.

    `isolated` (the imports function): the reading, the step that opens the file with a
    spreadsheet library, runs in a child process under a memory limit (`read_isolated`), so a
    file that makes a native reader overrun or abort fails cleanly.
    """
    from furusato.imports.rows import gc_paused, parse_rows
    from furusato.imports.validate import validate

    # One pause for the whole run: each resumption makes the collector scan every object built
    # during the pause (~0.15-0.25 s for 100,000 rows), once instead of after each step.
    with gc_paused():
        if isolated:
            sheet = read_isolated(data, reader=reader)
        else:
            sheet = parse_rows(read_checked(data, reader=reader))
        return validate(sheet, lg_code=lg_code, now=now)


def read_checked(data: bytes, *, reader: ReaderName | None = None) -> RawSheet:
    """`safety.check_xlsx`, then `rows.read_sheet`: everything before the cells are typed."""
    from furusato.imports.rows import read_sheet
    from furusato.imports.safety import check_xlsx

    check_xlsx(data)
    return read_sheet(data, reader=reader)


def read_isolated(data: bytes, *, reader: ReaderName | None = None) -> ParsedSheet:
    """`parse_rows(read_checked(data))` with the reading in a forked child under a memory limit
    (`safety.LimitedChild`), three steps overlapping on two CPUs: the child reads the sheet and
    streams its untyped cells (`rows.RawRows`, primitives only) in chunks while this process
    runs `check_xlsx`, then types each chunk as it arrives. Results and refusals are those of
    the sequential order: the checks' refusal comes first (the child is killed unread), then
    the child's own (no header, a crash), then `too_many_rows`.

    The reader sees the file before the checks have passed, but only inside the limited child,
    and nothing it reads is used unless they pass: a zip bomb or a forged cell range ends the
    child (RLIMIT_AS) or is killed with it."""
    from furusato.imports import rows
    from furusato.imports.safety import LimitedChild, check_xlsx

    def read(send: Callable[[RawRows], None]) -> RawSheet:
        return rows.read_sheet(data, reader=reader, send=send)

    with rows.gc_paused(), LimitedChild(read) as child:
        check_xlsx(data)
        received = iter(child)
        try:
            typed = rows.type_rows(chain.from_iterable(received))
        except FileRejected:  # too many rows: the child's own end, were it a refusal, comes first
            for _ in received:
                pass
            raise
        head: RawSheet = child.result
    return rows.ParsedSheet(head.sheet_name, head.header_row, head.headers, typed, head.reader)
