"""Reading a filled-in backfill template the way clerks really fill it.

Finds the header row by its names (rows above it, full-width letters, stray spaces, reordered or
missing optional columns are fine), then turns every row into a `ParsedRow`: each cell typed by
cells.py or an issue. Nothing here decides whether a row is importable (that is validate.py).
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from furusato.domain.profile import Gender
from furusato.imports import COLUMNS, Column, FileRejected
from furusato.imports.cells import (
    EXCEL_ERRORS,
    Issue,
    as_text,
    gender_of,
    name_key,
    parse_birth_date,
    parse_date_text,
    parse_datetime,
    parse_gender,
    parse_postal_code,
    text_key,
)
from furusato.imports.readers import ReaderName, default_reader, iter_sheets

__all__ = [
    "CHUNK_ROWS",
    "HEADER_SCAN_ROWS",
    "MAX_DATA_ROWS",
    "ParsedRow",
    "ParsedSheet",
    "RawSheet",
    "gc_paused",
    "parse_rows",
    "parse_xlsx",
    "read_sheet",
    "type_rows",
]

# The header must appear within the first rows of a sheet (the template has two rows above it).
HEADER_SCAN_ROWS = 30
# Beyond this the job would not finish in one Lambda run; the clerk splits the file.
MAX_DATA_ROWS = 200_000
# Rows per message from the limited child: small enough that the parent starts typing early,
# large enough that the per-message cost (a pickle frame, a pipe write) stays negligible.
CHUNK_ROWS = 2_000


@dataclass(slots=True)
class ParsedRow:
    row: int  # 1-based row number in the sheet, as Excel shows it
    # The original values, one per entry of COLUMNS (None or "" when blank or the column is absent).
    cells: tuple[Any, ...]
    activity_ref: str | None = None
    activity_ref_key: str | None = None
    activity_name: str | None = None
    starts_at: datetime | None = None  # aware, JST
    ends_at: datetime | None = None
    place: str | None = None
    conditions: str | None = None
    name: str | None = None  # as written (outer spaces trimmed)
    name_key: str | None = None  # for matching: NFKC, case-folded, no whitespace
    postal_code: str | None = None  # 7 ASCII digits
    address: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    issues: list[Issue] = field(default_factory=list)


@dataclass
class ParsedSheet:
    sheet_name: str
    header_row: int
    # Column key -> header text as written in the file; keys of absent optional columns are missing.
    headers: dict[str, str]
    rows: list[ParsedRow]
    reader: ReaderName


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects: with 100,000
    rows it would otherwise rescan the growing heap again and again (~25% of the time, measured
    in bench/imports_parse.py). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Header


def _header_key(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    text = "".join(unicodedata.normalize("NFKC", value).casefold().split())
    # "氏名(必須)", "氏名*", "※氏名": marks some clerks add to headers.
    text = re.sub(r"[(\[【]?(?:必須|任意)[)\]】]?$", "", text)
    return text.strip("*※")


_HEADER_ALIASES: dict[str, Column] = {}
for _column in COLUMNS:
    for _spelling in (_column.header, *_column.aliases):
        _HEADER_ALIASES.setdefault(_header_key(_spelling), _column)
_REQUIRED_KEYS = frozenset(c.key for c in COLUMNS if c.required)


def _match_header(values: Sequence[Any]) -> dict[str, tuple[int, str]]:
    """Column key -> (index in the row, header as written) for every recognised header cell."""
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(values):
        column = _HEADER_ALIASES.get(_header_key(value))
        if column is not None and column.key not in found:  # the first of duplicated headers wins
            found[column.key] = (index, str(value).strip())
    return found


# ---------------------------------------------------------------------------------------------
# Cells into a row


def _set_activity_ref(row: ParsedRow, raw: Any) -> None:
    text = as_text(raw)
    row.activity_ref = text
    row.activity_ref_key = text_key(text) if text else None


def _set_activity_name(row: ParsedRow, raw: Any) -> None:
    row.activity_name = as_text(raw)


def _set_starts_at(row: ParsedRow, raw: Any) -> Issue | None:
    row.starts_at, problem = parse_datetime(raw)
    return problem


def _set_ends_at(row: ParsedRow, raw: Any) -> Issue | None:
    row.ends_at, problem = parse_datetime(raw)
    return problem


def _set_place(row: ParsedRow, raw: Any) -> None:
    row.place = as_text(raw)


def _set_conditions(row: ParsedRow, raw: Any) -> None:
    row.conditions = as_text(raw)


def _set_name(row: ParsedRow, raw: Any) -> None:
    text = as_text(raw)
    row.name = text
    row.name_key = name_key(text) if text else None


def _set_postal_code(row: ParsedRow, raw: Any) -> Issue | None:
    row.postal_code, problem = parse_postal_code(raw)
    return problem


def _set_address(row: ParsedRow, raw: Any) -> None:
    row.address = as_text(raw)


def _set_birth_date(row: ParsedRow, raw: Any) -> Issue | None:
    row.birth_date, problem = parse_birth_date(raw)
    return problem


def _set_gender(row: ParsedRow, raw: Any) -> Issue | None:
    row.gender, problem = parse_gender(raw)
    return problem


_SETTER_BY_KEY: dict[str, Callable[[ParsedRow, Any], Issue | None]] = {
    "activity_ref": _set_activity_ref,
    "activity_name": _set_activity_name,
    "starts_at": _set_starts_at,
    "ends_at": _set_ends_at,
    "place": _set_place,
    "conditions": _set_conditions,
    "name": _set_name,
    "postal_code": _set_postal_code,
    "address": _set_address,
    "birth_date": _set_birth_date,
    "gender": _set_gender,
}
# Free-text columns whose value is the trimmed text itself: set inline, no call (the hot path).
_PLAIN_TEXT = frozenset({"activity_name", "place", "conditions", "address"})
# Per column position: (header, plain text attribute or None, setter).
_PLAN = tuple((c.header, c.key if c.key in _PLAIN_TEXT else None, _SETTER_BY_KEY[c.key]) for c in COLUMNS)
_MARKER_WORDS = frozenset({"必須", "任意"})


def _fill(row: ParsedRow, cells: tuple[Any, ...], start: int, stop: int) -> bool:
    """Parse cells[start:stop] into `row`; False when they are all blank (None, "" or spaces)."""
    filled = False
    for index in range(start, stop):
        raw = cells[index]
        if raw is None or raw == "":  # calamine gives "" for an empty cell, openpyxl None
            continue
        header, plain_text, setter = _PLAN[index]
        if raw.__class__ is str:
            first = raw[0]
            if first.isspace() and not raw.strip():
                continue
            filled = True
            if first == "#" and raw.strip() in EXCEL_ERRORS:
                row.issues.append(
                    Issue(
                        "cell_error",
                        header,
                        f"セルがエラー値（{raw.strip()}）です",
                        f"an Excel error ({raw.strip()})",
                    )
                )
                continue
            if plain_text is not None:
                setattr(row, plain_text, raw.strip())
                continue
        filled = True
        problem = setter(row, raw)
        if problem is not None:
            row.issues.append(Issue(problem.code, header, problem.ja, problem.en, problem.severity))
    return filled


_ACTIVITY_CELLS = sum(1 for c in COLUMNS if c.group == "activity")
assert all(c.group == "activity" for c in COLUMNS[:_ACTIVITY_CELLS])
_NAME, _POSTAL, _ADDRESS, _BIRTH, _GENDER = (
    [c.key for c in COLUMNS].index(k) for k in ("name", "postal_code", "address", "birth_date", "gender")
)
assert (_NAME, _POSTAL, _ADDRESS, _BIRTH, _GENDER) == tuple(range(_ACTIVITY_CELLS, len(COLUMNS)))


def _fill_participant(row: ParsedRow, cells: tuple[Any, ...]) -> bool:
    """`_fill` of the participant cells, with each column's usual spelling typed inline (one call
    per row instead of five setter calls); any other value goes through `_fill` for that cell, so
    results and issue order are the same."""
    filled = False
    name = cells[_NAME]
    if name.__class__ is str and name and not name[0].isspace() and name[0] != "#":
        row.name = text = name.strip()
        row.name_key = name_key(text)
        filled = True
    else:
        filled = _fill(row, cells, _NAME, _NAME + 1)
    postal = cells[_POSTAL]
    if (
        postal.__class__ is str
        and len(postal) == 8
        and postal[3] == "-"
        and postal.isascii()
        and postal[:3].isdigit()
        and postal[4:].isdigit()
    ):  # "124-7834": parse_postal_code's own fast path
        row.postal_code = postal[:3] + postal[4:]
        filled = True
    else:
        filled = _fill(row, cells, _POSTAL, _POSTAL + 1) or filled
    address = cells[_ADDRESS]
    if address.__class__ is str and address and not address[0].isspace() and address[0] != "#":
        row.address = address.strip()
        filled = True
    else:
        filled = _fill(row, cells, _ADDRESS, _ADDRESS + 1) or filled
    birth = cells[_BIRTH]
    if birth.__class__ is datetime:
        row.birth_date = birth.date()
        filled = True
    elif birth.__class__ is date:
        row.birth_date = birth
        filled = True
    elif (
        birth.__class__ is str
        and birth
        and birth[0].isdigit()
        and (parsed := parse_date_text(birth))[1] is None
    ):
        row.birth_date = parsed[0]
        filled = True
    else:
        filled = _fill(row, cells, _BIRTH, _BIRTH + 1) or filled
    gender = cells[_GENDER]
    if gender.__class__ is str and (known := gender_of(gender)) is not None:
        row.gender = known
        filled = True
    else:
        filled = _fill(row, cells, _GENDER, _GENDER + 1) or filled
    return filled


_MEMO_LIMIT = 50_000
_Memo = dict[tuple[Any, ...], tuple[Any, ...]]


def _parse_row(row_number: int, cells: tuple[Any, ...], memo: _Memo | None = None) -> ParsedRow | None:
    """The typed row, or None when every cell is blank.

    `memo` maps the raw activity cells to their parsed values: every row of an activity repeats
    them, so they are parsed once per activity rather than once per row.
    """
    row = ParsedRow(row_number, cells)
    head = cells[:_ACTIVITY_CELLS]
    known = memo.get(head) if memo is not None else None
    if known is None:
        activity_filled = _fill(row, cells, 0, _ACTIVITY_CELLS)
        if memo is not None and len(memo) < _MEMO_LIMIT:
            memo[head] = (
                activity_filled,
                row.activity_ref,
                row.activity_ref_key,
                row.activity_name,
                row.starts_at,
                row.ends_at,
                row.place,
                row.conditions,
                tuple(row.issues),
            )
    else:
        (
            activity_filled,
            row.activity_ref,
            row.activity_ref_key,
            row.activity_name,
            row.starts_at,
            row.ends_at,
            row.place,
            row.conditions,
            issues,
        ) = known
        if issues:
            row.issues.extend(issues)
    if not _fill_participant(row, cells) and not activity_filled:
        return None
    return row


def _is_marker_row(row: ParsedRow) -> bool:
    """A 必須/任意 row (e.g. moved below the column names): not data."""
    return all(c is None or (isinstance(c, str) and c.strip() in _MARKER_WORDS | {""}) for c in row.cells)


RawRows = list[tuple[int, tuple[Any, ...]]]


@dataclass
class RawSheet:
    """The worksheet holding the header, its data rows as the reader gave them (only the template's
    columns, in COLUMNS order: primitives, strings and datetimes), nothing typed yet. Compact and
    cheap to pickle: what the limited child (safety.LimitedChild) hands back to the parent."""

    sheet_name: str
    header_row: int
    headers: dict[str, str]  # as ParsedSheet.headers
    # (row number, one value per entry of COLUMNS) for every row below the header.
    rows: RawRows
    reader: ReaderName


def parse_xlsx(
    data: bytes, *, reader: ReaderName | None = None, max_rows: int = MAX_DATA_ROWS
) -> ParsedSheet:
    """Parse the first worksheet that holds the template's header row. Raises FileRejected.

    Call safety.check_xlsx(data) first.
    """
    return parse_rows(read_sheet(data, reader=reader), max_rows=max_rows)


def read_sheet(
    data: bytes, *, reader: ReaderName | None = None, send: Callable[[RawRows], None] | None = None
) -> RawSheet:
    """Find the first worksheet that holds the template's header row and read its rows, untyped.
    The only step that opens the file with a spreadsheet library. Raises FileRejected.

    With `send`, the rows go to it in lists of CHUNK_ROWS as they are read (the limited child
    streaming them to the parent, `imports.read_isolated`) and the RawSheet returned holds none.

    Call safety.check_xlsx(data) first, or run this in the limited child while it runs.
    """
    reader = reader or default_reader()
    best: tuple[int, str, set[str]] | None = None  # (matched count, sheet, keys) for the error
    for sheet_name, rows in iter_sheets(data, reader):
        for row_number, values in rows:
            if row_number > HEADER_SCAN_ROWS:
                break
            found = _match_header(values)
            if _REQUIRED_KEYS <= found.keys():
                headers = {key: text for key, (_, text) in found.items()}
                with gc_paused():
                    return RawSheet(sheet_name, row_number, headers, _read_rows(found, rows, send), reader)
            if found and (best is None or len(found) > best[0]):
                best = (len(found), sheet_name, set(found))
    if best is None or best[0] < 3:
        raise FileRejected(
            "header_not_found",
            "見出し行（ID・活動名・活動開始日時…）が見つかりません。様式の見出しを消さずに記入してください。",
            "no header row with the template's column names was found",
        )
    missing = [c.header for c in COLUMNS if c.required and c.key not in best[2]]
    raise FileRejected(
        "missing_columns",
        f"必須の列がありません: {'、'.join(missing)}（シート「{best[1]}」）",
        f"required columns missing: {', '.join(missing)}",
        missing_columns=missing,
    )


def _read_rows(
    found: dict[str, tuple[int, str]],
    rows: Iterator[tuple[int, Sequence[Any]]],
    send: Callable[[RawRows], None] | None = None,
) -> RawRows:
    positions = [found[c.key][0] if c.key in found else None for c in COLUMNS]
    width = max(p for p in positions if p is not None) + 1
    pick: Callable[[Sequence[Any]], tuple[Any, ...]]
    if None in positions:  # an optional column is absent: it reads None

        def pick(values: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(None if p is None else values[p] for p in positions)
    else:
        pick = itemgetter(*positions)
    picked: RawRows = []
    # Every row of an activity repeats its activity cells: they are kept once and shared, which
    # halves what the limited child pickles (repeated objects are written once) and the memory
    # the rows hold. Equal heads whose types differ (1 and True compare equal) stay apart.
    heads: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row_number, values in rows:
        if len(values) < width:  # openpyxl ends a row at its last filled cell
            values = (*values, *([None] * (width - len(values))))
        cells = pick(values)
        head = cells[:_ACTIVITY_CELLS]
        shared = heads.setdefault(head, head)
        if shared is not head and list(map(type, shared)) == list(map(type, head)):
            cells = shared + cells[_ACTIVITY_CELLS:]
        picked.append((row_number, cells))
        if send is not None and len(picked) == CHUNK_ROWS:
            send(picked)
            picked = []
    if send is not None:
        send(picked)
        return []
    return picked


def parse_rows(sheet: RawSheet, *, max_rows: int = MAX_DATA_ROWS) -> ParsedSheet:
    """Type every cell of every non-blank row. Raises FileRejected beyond `max_rows` rows."""
    typed = type_rows(sheet.rows, max_rows=max_rows)
    return ParsedSheet(sheet.sheet_name, sheet.header_row, sheet.headers, typed, sheet.reader)


def type_rows(
    rows: Iterable[tuple[int, tuple[Any, ...]]], *, max_rows: int = MAX_DATA_ROWS
) -> list[ParsedRow]:
    """`parse_rows` of the rows as they come (a RawSheet's, or a stream of them from the child):
    every non-blank row typed. Raises FileRejected beyond `max_rows` rows."""
    parsed: list[ParsedRow] = []
    memo: _Memo = {}
    with gc_paused():
        for row_number, cells in rows:
            row = _parse_row(row_number, cells, memo)
            if row is None:
                continue
            if row.issues and _is_marker_row(row):
                continue
            if len(parsed) >= max_rows:
                raise FileRejected(
                    "too_many_rows",
                    f"行数が多すぎます（上限 {max_rows:,} 行）。ファイルを分割してください。",
                    f"more than {max_rows} data rows; split the file",
                    limit=max_rows,
                )
            parsed.append(row)
    return parsed
