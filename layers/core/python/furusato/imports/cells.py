"""One cell of a filled-in backfill template as a typed value or a per-cell issue.

Excel dates and text dates in Western or era notation, postal codes in any common spelling,
names kept as written plus a matching key, gender words. Nothing is ever guessed: an impossible
date is an issue, never shifted to a neighbouring day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal

from furusato.clock import JST
from furusato.domain.postal import normalize_postal_code
from furusato.domain.profile import Gender

__all__ = [
    "EXCEL_ERRORS",
    "Issue",
    "Severity",
    "as_text",
    "gender_of",
    "name_key",
    "parse_birth_date",
    "parse_date_text",
    "parse_datetime",
    "parse_gender",
    "parse_postal_code",
    "text_key",
]

Severity = Literal["error", "warning"]


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


EXCEL_ERRORS = frozenset(
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
    """An issue without its column: rows.py adds the column it came from."""
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
def parse_date_text(text: str) -> tuple[date | None, tuple[str, str, str] | None]:
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
            parsed, problem = parse_date_text(str(int(number)))
        else:
            try:
                moment = _from_serial(number)
            except _BadValue as exc:
                return None, _issue(exc.args)
            return moment.date(), None
    elif isinstance(value, str):
        parsed, problem = parse_date_text(value)
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
    gender = gender_of(value) if isinstance(value, str) else None
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
def gender_of(text: str) -> Gender | None:
    return _GENDERS.get(_normalise(text))


def parse_postal_code(value: Any) -> tuple[str | None, Issue | None]:
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


def as_text(value: Any) -> str | None:
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
