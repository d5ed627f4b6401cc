"""Reading a filled-in backfill template the way clerks really fill it.

Finds the header row by its names (rows above it, full-width letters, stray spaces, reordered or
missing optional columns are fine), then turns every cell into a typed value or a per-cell issue:
Excel dates and text dates in Western or era notation, postal codes in any common spelling,
names kept as written plus a matching key, gender words. Nothing here decides whether a row is
importable (that is validate.py) and nothing is ever guessed: an impossible date is an issue,
never shifted to a neighbouring day.

Two readers sit behind `iter_sheets`: python-calamine (Rust, the default when installed) and
openpyxl in read-only mode. They disagree on some representations (empty cells, integer
numbers, midnight datetimes); `_parse_row` accepts both so results are identical.
"""

from __future__ import annotations

import gc
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal

from furusato.clock import JST
from furusato.domain.postal import normalize_postal_code
from furusato.domain.profile import Gender
from furusato.imports import COLUMNS, Column, FileRejected

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_DATA_ROWS",
    "Issue",
    "ParsedRow",
    "ParsedSheet",
    "ReaderName",
    "available_readers",
    "default_reader",
    "gc_paused",
    "iter_sheets",
    "name_key",
    "parse_birth_date",
    "parse_datetime",
    "parse_gender",
    "parse_xlsx",
    "text_key",
]

ReaderName = Literal["calamine", "openpyxl"]
Severity = Literal["error", "warning"]

# The header must appear within the first rows of a sheet (the template has two rows above it).
HEADER_SCAN_ROWS = 30
# Beyond this the job would not finish in one Lambda run; the clerk splits the file.
MAX_DATA_ROWS = 200_000
# Excel's own cell limit; longer text cannot come from a real spreadsheet.
_MAX_CELL_CHARS = 32_767


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one row, in Japanese for the clerk and English for logs and the API."""

    code: str
    column: str | None  # the official header (e.g. "活動開始日時"), None for the whole row
    ja: str
    en: str
    severity: Severity = "error"

    def text(self) -> str:
        prefix = f"{self.column}: " if self.column else ""
        return f"{prefix}{self.ja} ({self.en})"


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


# ---------------------------------------------------------------------------------------------
# Readers


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


def available_readers() -> tuple[ReaderName, ...]:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return ("openpyxl",)
    return ("calamine", "openpyxl")


def default_reader() -> ReaderName:
    """calamine: ~10x faster than openpyxl and the only one meeting 20,000 rows/s (docs/imports.md).

    openpyxl remains the fallback where python-calamine is not installed.
    """
    return available_readers()[0]


SheetRows = Iterator[tuple[int, Sequence[Any]]]


def iter_sheets(data: bytes, reader: ReaderName | None = None) -> Iterator[tuple[str, SheetRows]]:
    """Each worksheet as (name, rows) where rows yields (excel_row_number, values) lazily.

    Call safety.check_xlsx first: this opens the file with a spreadsheet library.
    """
    reader = reader or default_reader()
    if reader == "calamine":
        return _calamine_sheets(data)
    if reader == "openpyxl":
        return _openpyxl_sheets(data)
    raise ValueError(f"unknown reader {reader!r}")


def _unreadable(exc: Exception) -> FileRejected:
    return FileRejected(
        "unreadable",
        "ファイルを読み取れません。Excelで開いて.xlsx形式で保存し直してください。",
        f"the workbook cannot be read: {type(exc).__name__}",
    )


def _calamine_sheets(data: bytes) -> Iterator[tuple[str, SheetRows]]:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(exc) from exc
    with workbook:
        for name in sheets:
            try:
                sheet = workbook.get_sheet_by_name(name)
            except (CalamineError, ValueError, OSError) as exc:
                raise _unreadable(exc) from exc
            if sheet.start is None:  # an empty sheet: iter_rows would panic on it
                continue
            # iter_rows pads the empty rows above the data, so it always starts at row 1 (columns,
            # though, start at the first used one: header matching only needs relative positions).
            yield name, enumerate(sheet.iter_rows(), 1)


def _openpyxl_sheets(data: bytes) -> Iterator[tuple[str, SheetRows]]:
    from zipfile import BadZipFile

    from furusato.imports.safety import ensure_defused_xml

    ensure_defused_xml()
    import openpyxl

    try:
        # data_only: a formula cell gives its cached result, never the formula text.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _unreadable(exc) from exc
    try:
        for sheet in workbook.worksheets:
            # Some tools write a wrong <dimension>; read-only mode would trust it and cut columns.
            sheet.reset_dimensions()
            yield sheet.title, enumerate(sheet.iter_rows(values_only=True), 1)
    finally:
        workbook.close()


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
# Cell values


@lru_cache(maxsize=4096)
def text_key(value: str) -> str:
    """Comparison key of free text: NFKC (full/half width), case-folded, without any whitespace.

    Cached: activity names, places and IDs repeat on every row of their activity.
    """
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


def name_key(name: str) -> str:
    """Matching key of a person's name: '佐藤 健一', '佐藤　健一' and '佐藤健一' are one key.

    Variant kanji (髙/高, 﨑/崎) are not unified: NFKC keeps them apart, and so do we.
    (Not cached: names hardly repeat, they would only evict activity texts.)
    """
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


_EXCEL_ERRORS = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}
)
# Era: (year before year 1, first day, last day). NFKC turns the one-character era signs into these.
_ERAS: dict[str, tuple[int, date, date | None]] = {
    "令和": (2018, date(2019, 5, 1), None),
    "平成": (1988, date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": (1925, date(1926, 12, 25), date(1989, 1, 7)),
    "大正": (1911, date(1912, 7, 30), date(1926, 12, 24)),
}
_ERA_LETTERS = {"r": "令和", "h": "平成", "s": "昭和", "t": "大正"}
# Applied to NFKC-normalised, case-folded text.
_DATETIME_RE = re.compile(
    r"(?:(?P<era>令和|平成|昭和|大正|[rhst])\s*(?P<eyear>元|\d{1,2})|(?P<year>\d{4}))"
    r"\s*(?:年|[/.\-])\s*(?P<month>\d{1,2})\s*(?:月|[/.\-])\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*\((?:[月火水木金土日祝](?:曜日?)?|[a-z]{3})\))?"  # weekday: (金), (金曜日), (fri)
    r"(?:(?:\s*|t)(?P<ampm>午前|午後|am|pm)?\s*(?P<hour>\d{1,2})\s*(?:時|:)\s*(?:(?P<minute>\d{1,2})\s*分?)?"
    r"(?:\s*:\s*(?P<second>\d{1,2})(?:\.\d+)?\s*秒?)?\s*(?P<ampm2>am|pm)?)?"
    r"\s*(?P<tz>z|[+\-]\d{2}:?\d{2})?"
)
_COMPACT_RE = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?:\s*(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_BIRTH_SUFFIX_RE = re.compile(r"\s*(?:生まれ|生)$")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MAX_SERIAL = 2_958_465  # 9999-12-31


class _BadValue(Exception):
    """A cell that cannot be read as its column's type; args: (code, ja, en)."""


def _normalise(text: str) -> str:
    if text.isascii():  # "1974/2/18": NFKC would change nothing
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _from_serial(serial: float) -> datetime:
    """Excel 1900 date system serial -> naive datetime, rounded to the second."""
    if not 1 <= serial <= _MAX_SERIAL:
        raise _BadValue(
            "invalid_date", "日付として読み取れない数値です", "a number that is not an Excel date"
        )
    if 60 <= serial < 61:
        raise _BadValue("impossible_date", "存在しない日付です（1900年2月29日）", "no such date (1900-02-29)")
    # Serials before 60 count Excel's phantom 1900-02-29, so they start a day later.
    base = _EXCEL_EPOCH if serial >= 61 else _EXCEL_EPOCH + timedelta(days=1)
    return _round_second(base + timedelta(days=serial))


def _round_second(value: datetime) -> datetime:
    if value.microsecond == 0:
        return value
    return value.replace(microsecond=0) + timedelta(seconds=1 if value.microsecond >= 500_000 else 0)


def _build_date(match: re.Match[str]) -> date:
    month, day = int(match["month"]), int(match["day"])
    era = match.groupdict().get("era")
    if era:
        era_name = _ERA_LETTERS.get(era, era)
        year = _ERAS[era_name][0] + (1 if match["eyear"] == "元" else int(match["eyear"]))
    else:
        year = int(match["year"])
    try:
        result = date(year, month, day)
    except ValueError:
        raise _BadValue(
            "impossible_date",
            f"存在しない日付です（{year}年{month}月{day}日）",
            f"no such date ({year}-{month:02d}-{day:02d})",
        ) from None
    if era:
        _, first, last = _ERAS[era_name]
        if result < first or (last is not None and result > last):
            raise _BadValue(
                "impossible_date",
                f"{era_name}{match['eyear']}年{month}月{day}日 は存在しません",
                f"no such date in the {era_name} era",
            )
    return result


def _build_time(match: re.Match[str]) -> tuple[time, bool]:
    """The time of a match and whether it was 24:00 (midnight at the end of the day)."""
    if match["hour"] is None:
        return time(0, 0), False
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    second = int(match.groupdict().get("second") or 0)
    ampm = match.groupdict().get("ampm") or match.groupdict().get("ampm2")
    if ampm:
        if hour > 12:
            raise _BadValue("impossible_time", "存在しない時刻です", "no such time")
        if ampm in ("午後", "pm") and hour < 12:
            hour += 12
        elif ampm in ("午前", "am") and hour == 12:
            hour = 0
    if hour == 24 and minute == 0 and second == 0:
        return time(0, 0), True
    if hour > 23 or minute > 59 or second > 59:
        raise _BadValue("impossible_time", "存在しない時刻です", "no such time")
    return time(hour, minute, second), False


_INVALID_DATETIME = (
    "invalid_datetime",
    "日時として読み取れません（例: 2026/4/10 10:00）",
    "not a date and time, e.g. 2026/4/10 10:00",
)
_INVALID_DATE = ("invalid_date", "日付として読み取れません（例: 1974/2/18）", "not a date, e.g. 1974/2/18")
_RANGE_IN_ONE_CELL = (
    "invalid_datetime",
    "開始と終了は「活動開始日時」「活動終了日時」の別々の列に記入してください",
    "one date and time per cell: start and end go in their own columns",
)
_DATE_ONLY_WARNING = ("time_missing", "時刻がないため 0:00 としました", "no time given: read as 0:00")


@lru_cache(maxsize=8192)
def _parse_datetime_text(text: str) -> tuple[datetime | None, tuple[str, str, str] | None, bool]:
    """(value, problem, date_only). Cached: a file repeats each activity's times on every row."""
    normal = _normalise(text)
    match = _DATETIME_RE.fullmatch(normal) or _COMPACT_RE.fullmatch(normal)
    if match is None:
        if "~" in normal or "〜" in normal:
            return None, _RANGE_IN_ONE_CELL, False
        return None, _INVALID_DATETIME, False
    try:
        day = _build_date(match)
        moment, next_day = _build_time(match)
    except _BadValue as exc:
        return None, exc.args, False
    value = datetime.combine(day, moment)
    if next_day:
        value += timedelta(days=1)
    tz = match.groupdict().get("tz")
    if tz:
        offset = _parse_offset(tz)
        return value.replace(tzinfo=offset).astimezone(JST), None, False
    return value.replace(tzinfo=JST), None, match["hour"] is None


def _parse_offset(text: str) -> timezone:
    if text == "z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _issue(problem: tuple[str, ...], severity: Severity = "error") -> Issue:
    """An issue without its column: _parse_row adds the column it came from."""
    return Issue(problem[0], None, problem[1], problem[2], severity)


def parse_datetime(value: Any) -> tuple[datetime | None, Issue | None]:
    """An activity start or end as an aware JST datetime, or an issue. Naive values are JST."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return _round_second(value).replace(tzinfo=JST), None
        return _round_second(value.astimezone(JST)), None
    if isinstance(value, date):  # calamine gives a date for a midnight datetime cell
        return datetime(value.year, value.month, value.day, tzinfo=JST), None
    if isinstance(value, time | timedelta):
        return None, _issue(("time_only", "日付がありません（時刻のみ）", "a time without a date"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _from_serial(float(value)).replace(tzinfo=JST), None
        except _BadValue as exc:
            return None, _issue(exc.args)
    if isinstance(value, str):
        parsed, problem, date_only = _parse_datetime_text(value)
        if problem is not None:
            return None, _issue(problem)
        if date_only:
            return parsed, _issue(_DATE_ONLY_WARNING, "warning")
        return parsed, None
    return None, _issue(_INVALID_DATETIME)


_PLAIN_DATE_RE = re.compile(r"([0-9]{4})([/\-])([0-9]{1,2})\2([0-9]{1,2})")


@lru_cache(maxsize=8192)
def _parse_date_text(text: str) -> tuple[date | None, tuple[str, str, str] | None]:
    plain = _PLAIN_DATE_RE.fullmatch(text)
    if plain is not None:  # "1974/2/18": most birth dates, and too many distinct ones to cache
        try:
            return date(int(plain[1]), int(plain[3]), int(plain[4])), None
        except ValueError:
            pass  # the full path below words the error
    normal = _BIRTH_SUFFIX_RE.sub("", _normalise(text))
    match = _DATETIME_RE.fullmatch(normal) or _COMPACT_RE.fullmatch(normal)
    if match is None or match.groupdict().get("tz"):
        return None, _INVALID_DATE
    try:
        day = _build_date(match)
        moment, next_day = _build_time(match)
    except _BadValue as exc:
        return None, exc.args
    if moment != time(0, 0) or next_day:  # "1974/2/18 0:00" is fine, any other time is not a birth date
        return None, _INVALID_DATE
    return day, None


def parse_birth_date(value: Any) -> tuple[date | None, Issue | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        # 19740218 typed as a number is a yyyymmdd date, not serial 19,740,218.
        if number.is_integer() and 10_000_000 <= number <= 99_991_231:
            parsed, problem = _parse_date_text(str(int(number)))
        else:
            try:
                moment = _from_serial(number)
            except _BadValue as exc:
                return None, _issue(exc.args)
            return moment.date(), None
    elif isinstance(value, str):
        parsed, problem = _parse_date_text(value)
    else:
        parsed, problem = None, _INVALID_DATE
    if problem is not None:
        return None, _issue(problem)
    return parsed, None


_GENDERS: dict[str, Gender] = {
    **dict.fromkeys(("男性", "男", "m", "male", "man"), "male"),
    **dict.fromkeys(("女性", "女", "f", "female", "woman"), "female"),
    **dict.fromkeys(("その他", "他", "other", "x"), "other"),
    **dict.fromkeys(
        ("回答しない", "無回答", "未回答", "回答なし", "答えない", "不明", "no answer", "no_answer"),
        "no_answer",
    ),
}


def parse_gender(value: Any) -> tuple[Gender | None, Issue | None]:
    gender = _gender_of(value) if isinstance(value, str) else None
    if gender is None:
        return None, _issue(
            (
                "invalid_gender",
                "性別は 男性・女性・その他・回答しない のいずれかです",
                "one of 男性, 女性, その他, 回答しない",
            )
        )
    return gender, None


@lru_cache(maxsize=256)
def _gender_of(text: str) -> Gender | None:
    return _GENDERS.get(_normalise(text))


def _postal_code(value: Any) -> tuple[str | None, Issue | None]:
    code: str | None = None
    if isinstance(value, str):
        # The usual "124-7834" skips normalize_postal_code's Unicode work.
        if (
            len(value) == 8
            and value[3] == "-"
            and value.isascii()
            and value[:3].isdigit()
            and value[4:].isdigit()
        ):
            code = value[:3] + value[4:]
        else:
            code = normalize_postal_code(value)
    elif isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        number = int(value)
        # A number cell drops leading zeros (067-3214 -> 673214): put them back.
        if 0 < number < 10_000_000:
            code = f"{number:07d}"
    if code is None:
        return None, _issue(
            ("invalid_postal_code", "郵便番号は7桁の数字です（例: 124-7834）", "7 digits, e.g. 124-7834")
        )
    return code, None


def _text(value: Any) -> str | None:
    """A cell as trimmed text; None when blank."""
    if value.__class__ is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _set_activity_ref(row: ParsedRow, raw: Any) -> None:
    text = _text(raw)
    row.activity_ref = text
    row.activity_ref_key = text_key(text) if text else None


def _set_activity_name(row: ParsedRow, raw: Any) -> None:
    row.activity_name = _text(raw)


def _set_starts_at(row: ParsedRow, raw: Any) -> Issue | None:
    row.starts_at, problem = parse_datetime(raw)
    return problem


def _set_ends_at(row: ParsedRow, raw: Any) -> Issue | None:
    row.ends_at, problem = parse_datetime(raw)
    return problem


def _set_place(row: ParsedRow, raw: Any) -> None:
    row.place = _text(raw)


def _set_conditions(row: ParsedRow, raw: Any) -> None:
    row.conditions = _text(raw)


def _set_name(row: ParsedRow, raw: Any) -> None:
    text = _text(raw)
    row.name = text
    row.name_key = name_key(text) if text else None


def _set_postal_code(row: ParsedRow, raw: Any) -> Issue | None:
    row.postal_code, problem = _postal_code(raw)
    return problem


def _set_address(row: ParsedRow, raw: Any) -> None:
    row.address = _text(raw)


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
            if first == "#" and raw.strip() in _EXCEL_ERRORS:
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
    if not _fill(row, cells, _ACTIVITY_CELLS, len(COLUMNS)) and not activity_filled:
        return None
    return row


def _is_marker_row(row: ParsedRow) -> bool:
    """A 必須/任意 row (e.g. moved below the column names): not data."""
    return all(c is None or (isinstance(c, str) and c.strip() in _MARKER_WORDS | {""}) for c in row.cells)


def parse_xlsx(
    data: bytes, *, reader: ReaderName | None = None, max_rows: int = MAX_DATA_ROWS
) -> ParsedSheet:
    """Parse the first worksheet that holds the template's header row. Raises FileRejected.

    Call safety.check_xlsx(data) first.
    """
    reader = reader or default_reader()
    best: tuple[int, str, set[str]] | None = None  # (matched count, sheet, keys) for the error
    for sheet_name, rows in iter_sheets(data, reader):
        for row_number, values in rows:
            if row_number > HEADER_SCAN_ROWS:
                break
            found = _match_header(values)
            if _REQUIRED_KEYS <= found.keys():
                with gc_paused():
                    return _parse_data(sheet_name, row_number, found, rows, reader, max_rows)
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


def _parse_data(
    sheet_name: str,
    header_row: int,
    found: dict[str, tuple[int, str]],
    rows: Iterator[tuple[int, Sequence[Any]]],
    reader: ReaderName,
    max_rows: int,
) -> ParsedSheet:
    positions = [found[c.key][0] if c.key in found else None for c in COLUMNS]
    width = max(p for p in positions if p is not None) + 1
    pick: Callable[[Sequence[Any]], tuple[Any, ...]]
    if None in positions:  # an optional column is absent: it reads None

        def pick(values: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(None if p is None else values[p] for p in positions)
    else:
        pick = itemgetter(*positions)
    parsed: list[ParsedRow] = []
    memo: _Memo = {}
    for row_number, values in rows:
        if len(values) < width:  # openpyxl ends a row at its last filled cell
            values = (*values, *([None] * (width - len(values))))
        row = _parse_row(row_number, pick(values), memo)
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
    headers = {key: text for key, (_, text) in found.items()}
    return ParsedSheet(sheet_name, header_row, headers, parsed, reader)
