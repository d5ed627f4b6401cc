"""Per-row validation of a parsed backfill sheet, grouping into activities and participations.

Every row ends in exactly one status: `ok` (importable), `duplicate` (the same person already
appears in the same activity: merged into one participation, nothing lost) or `error` (not
importable, with each reason and its column). Keys are deterministic, so importing the same
file twice, or a corrected copy, converges on the same activities and participations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

from furusato import clock
from furusato.clock import JST
from furusato.domain import text as text_rule
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.postal import normalize_postal_code
from furusato.domain.profile import OLDEST_BIRTH_DATE, Gender, contains_individual_number
from furusato.imports import COLUMN_BY_KEY, COLUMNS
from furusato.imports.cells import Issue, name_key, text_key
from furusato.imports.rows import ParsedRow, ParsedSheet, gc_paused

__all__ = [
    "BACKFILL_START",
    "KEY_VERSION",
    "BackfillActivity",
    "BackfillParticipation",
    "RowResult",
    "RowStatus",
    "ValidationResult",
    "activity_key",
    "participation_key",
    "person_match_key",
    "validate",
]

# Rule 11: records from 2026-04-01 (JST) on count.
BACKFILL_START = datetime(2026, 4, 1, tzinfo=JST)
# Part of every key: bump it only with a migration, or re-imports would duplicate everything.
KEY_VERSION = "1"

RowStatus = Literal["ok", "duplicate", "error"]

# Generous for real data, small enough to keep one item far below DynamoDB's 400 KB.
MAX_LENGTHS: dict[str, int] = {
    "activity_ref": 100,
    "activity_name": 200,
    "place": 200,
    "conditions": 1000,
    "name": 100,
    "address": 300,
}
_TEXT_KEYS = ("activity_ref", "activity_name", "place", "conditions", "name", "address")
_ACTIVITY_REQUIRED = tuple(c.key for c in COLUMNS if c.group == "activity" and c.required)
_PARTICIPANT_REQUIRED = tuple(c.key for c in COLUMNS if c.group == "participant" and c.required)


@dataclass(frozen=True, slots=True)
class BackfillActivity:
    key: str
    ref: str | None  # the file's ID as written, None when rows were grouped by their columns
    name: str
    starts_at: datetime  # aware, JST
    ends_at: datetime
    place: str
    conditions: str | None
    rows: tuple[int, ...]  # sheet rows of its participations (duplicates included)

    @property
    def day(self) -> date:
        """The JST date the activity counts on (Participation.day)."""
        return self.starts_at.astimezone(JST).date()


class BackfillParticipation(NamedTuple):
    # A NamedTuple, not a frozen dataclass: 100,000 of them are built per large file.
    key: str
    activity_key: str
    row: int
    name: str  # as written, for display
    name_key: str
    birth_date: date
    postal_code: str  # 7 digits
    address: str
    gender: Gender
    # Matches a registrant with the same normalised name, birth date and postal code (rule 19).
    match_key: str


@dataclass(slots=True)
class RowResult:
    parsed: ParsedRow
    status: RowStatus = "ok"
    issues: list[Issue] = field(default_factory=list)
    activity_key: str | None = None
    participation_key: str | None = None
    duplicate_of: int | None = None  # the row holding the participation this one repeats

    @property
    def row(self) -> int:
        return self.parsed.row

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    def reason(self) -> str:
        """Every issue, one per line, Japanese then English."""
        return "\n".join(issue.text() for issue in self.issues)


@dataclass
class ValidationResult:
    lg_code: str
    sheet: ParsedSheet
    rows: list[RowResult]  # one per non-blank data row, in sheet order
    activities: list[BackfillActivity]  # only those with at least one participation
    participations: list[BackfillParticipation]

    @property
    def rows_total(self) -> int:
        return len(self.rows)

    @property
    def rows_valid(self) -> int:
        return sum(1 for r in self.rows if r.status == "ok")

    @property
    def rows_duplicate(self) -> int:
        return sum(1 for r in self.rows if r.status == "duplicate")

    @property
    def rows_rejected(self) -> int:
        return sum(1 for r in self.rows if r.status == "error")

    @property
    def people(self) -> int:
        """Distinct people (normalised name, birth date and postal code) among participations."""
        return len({p.match_key for p in self.participations})

    def summary(self) -> dict[str, Any]:
        return {
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_duplicate": self.rows_duplicate,
            "rows_rejected": self.rows_rejected,
            "activities": len(self.activities),
            "participations": len(self.participations),
            "people": self.people,
        }


# ---------------------------------------------------------------------------------------------
# Keys


_KEY_PREFIX = "\x1f".join(("furusato-backfill", KEY_VERSION, ""))
_sha256 = hashlib.sha256


def _digest(*parts: str) -> str:
    # Two keys per row: the constant prefix is joined once, not per call.
    return _sha256((_KEY_PREFIX + "\x1f".join(parts)).encode()).hexdigest()[:32]


def activity_key(
    lg_code: str, *, ref: str | None, name: str, starts_at: datetime, ends_at: datetime, place: str
) -> str:
    """With an ID: the government, the ID and the start's date, so a corrected name, time or place
    keeps the activity, while files that reuse "1", "2"... for other days do not collide.
    Without an ID: the government and the four grouping columns."""
    start = starts_at.astimezone(JST)
    if ref is not None and text_key(ref):
        return _digest("activity-ref", lg_code, text_key(ref), start.date().isoformat())
    end = ends_at.astimezone(JST)
    return _digest("activity", lg_code, text_key(name), start.isoformat(), end.isoformat(), text_key(place))


def participation_key(activity_key: str, name_key: str, birth_date: date) -> str:
    return _digest("participation", activity_key, name_key, birth_date.isoformat())


def person_match_key(name: str, birth_date: date, postal_code: str) -> str:
    """The key a registrant's profile or verified identity must produce to claim backfilled rows."""
    code = normalize_postal_code(postal_code) or postal_code
    return _person_key(name_key(name), birth_date, code)


def _person_key(name_key: str, birth_date: date, postal_code: str) -> str:
    return _digest("person", name_key, birth_date.isoformat(), postal_code)


# ---------------------------------------------------------------------------------------------
# Validation


_HEADERS = {key: column.header for key, column in COLUMN_BY_KEY.items()}


def _header(key: str) -> str:
    return _HEADERS[key]


def _has_issue(result: RowResult, key: str) -> bool:
    if not result.issues:
        return False
    header = _header(key)
    return any(i.column == header and i.severity == "error" for i in result.issues)


def _required(key: str) -> Issue:
    return Issue("required", _header(key), "必須項目が空欄です", "required")


def _clean_texts(row: ParsedRow, texts: tuple[str | None, ...], result: RowResult) -> tuple[str | None, ...]:
    out: list[str | None] = []
    for column_key, value in zip(_TEXT_KEYS, texts, strict=True):
        if value is not None:
            value, problem = text_rule.clean(value, free_text=False)
            if problem:
                result.issues.append(
                    Issue(
                        "invalid_characters",
                        _header(column_key),
                        "制御文字または不正な文字が含まれています",
                        problem,
                    )
                )
            value = value or None
            setattr(row, column_key, value)
        out.append(value)
    return tuple(out)


def _texts_pass(texts: tuple[str | None, ...], keys: tuple[str, ...]) -> bool:
    """True when none of `texts` would give `_check_row` an issue: each within its length, clean
    by the text rule and without 12 digits (which would only be looked at more closely)."""
    for column_key, value in zip(keys, texts, strict=True):
        if value is not None and (
            len(value) > MAX_LENGTHS[column_key]
            or text_rule.TWELVE_DIGITS_LOOSE.search(value)
            or not text_rule.is_clean(value)
        ):
            return False
    return True


_ACTIVITY_TEXT_KEYS = ("activity_ref", "activity_name", "place", "conditions")
_NAME_LIMIT, _ADDRESS_LIMIT = MAX_LENGTHS["name"], MAX_LENGTHS["address"]


def _row_passes(
    row: ParsedRow, today: date, activity_texts: dict[tuple[str | None, ...], bool], activity_columns: bool
) -> bool:
    """True when `_check_row` would find nothing: a complete row, its activity texts (the same
    objects on every row of an activity, so checked once per activity), then its own texts and
    birth date. A row that may have an issue goes through `_check_row` in full."""
    name, address, birth = row.name, row.address, row.birth_date
    if (
        name is None
        or address is None
        or birth is None
        or row.postal_code is None
        or row.gender is None
        or (
            activity_columns
            and (
                row.activity_name is None or row.starts_at is None or row.ends_at is None or row.place is None
            )
        )
    ):
        return False
    texts = (row.activity_ref, row.activity_name, row.place, row.conditions)
    known = activity_texts.get(texts)
    if known is None:
        known = activity_texts[texts] = _texts_pass(texts, _ACTIVITY_TEXT_KEYS)
    if not known:
        return False
    if len(name) > _NAME_LIMIT or len(address) > _ADDRESS_LIMIT:
        return False
    # Name and address at once: the text rule holds for two clean texts joined by a space.
    both = f"{name} {address}"
    return (
        not text_rule.TWELVE_DIGITS_LOOSE.search(both)
        and text_rule.is_clean(both)
        and OLDEST_BIRTH_DATE <= birth <= today
    )


def _check_row(result: RowResult, today: date, *, activity_columns: bool) -> None:
    row = result.parsed
    complete = (
        row.name is not None
        and row.postal_code is not None
        and row.address is not None
        and row.birth_date is not None
        and row.gender is not None
        and not (
            activity_columns
            and (
                row.activity_name is None or row.starts_at is None or row.ends_at is None or row.place is None
            )
        )
    )
    if not complete:
        keys = _PARTICIPANT_REQUIRED + (_ACTIVITY_REQUIRED if activity_columns else ())
        for key in keys:
            if getattr(row, key) is None and not _has_issue(result, key):
                result.issues.append(_required(key))
    texts: tuple[str | None, ...] = (
        row.activity_ref,
        row.activity_name,
        row.place,
        row.conditions,
        row.name,
        row.address,
    )
    # One search over all texts; rows that may hold an individual number are then checked per cell.
    joined = " ".join([t for t in texts if t])
    suspicious = text_rule.TWELVE_DIGITS_LOOSE.search(joined)
    # The text rule of the API (NFC, no control characters or lone surrogates), checked on the
    # whole row at once and per cell only when the row is not clean.
    if not (joined.isascii() and joined.isprintable()) and not text_rule.is_clean(joined):
        texts = _clean_texts(row, texts, result)
    for column_key, value in zip(_TEXT_KEYS, texts, strict=True):
        if value is None:
            continue
        if len(value) > MAX_LENGTHS[column_key]:
            limit = MAX_LENGTHS[column_key]
            result.issues.append(
                Issue(
                    "too_long",
                    _header(column_key),
                    f"{limit}文字以内にしてください",
                    f"at most {limit} characters",
                )
            )
        # Rule 7: an individual number is never accepted, stored or logged.
        if suspicious and contains_individual_number(value):
            result.issues.append(
                Issue(
                    "individual_number",
                    _header(column_key),
                    "個人番号（マイナンバー）と思われる12桁の数字が含まれています。削除してください",
                    "looks like an individual number (12 digits): remove it",
                )
            )
    birth = row.birth_date
    if birth is not None and not OLDEST_BIRTH_DATE <= birth <= today:
        result.issues.append(
            Issue(
                "birth_date_out_of_range",
                _header("birth_date"),
                "生年月日が正しくありません（未来の日付、または1900年より前）",
                "a birth date in the future or before 1900",
            )
        )


@dataclass
class _Group:
    ref: str | None
    members: list[RowResult]
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    conditions: str | None = None
    key: str | None = None  # set when the activity itself is valid


def _majority(
    members: Iterable[RowResult], attr: str, key: Callable[[Any], Hashable]
) -> tuple[Any, Hashable, int] | None:
    """The most common value of a column among the rows that have a usable one, ties to the
    earliest row. Returns (value, its key, first row)."""
    tally: dict[Hashable, list[Any]] = {}  # key -> [count, first row, value]
    for member in members:
        value = getattr(member.parsed, attr)
        if value is None or _has_issue(member, attr):
            continue
        k = key(value)
        entry = tally.get(k)
        if entry is None:
            tally[k] = [1, member.row, value]
        else:
            entry[0] += 1
    if not tally:
        return None
    k, (_, first, value) = max(tally.items(), key=lambda item: (item[1][0], -item[1][1]))
    return value, k, first


def _identity(value: Any) -> Hashable:
    return value


_ACTIVITY_ATTRS: tuple[tuple[str, Callable[[Any], Hashable]], ...] = (
    ("activity_name", text_key),
    ("starts_at", _identity),
    ("ends_at", _identity),
    ("place", text_key),
    ("conditions", text_key),
)


def _signature(result: RowResult) -> tuple[Hashable, ...] | None:
    row = result.parsed
    if result.issues or row.activity_name is None or row.place is None:
        return None
    conditions = text_key(row.conditions) if row.conditions else None
    return (text_key(row.activity_name), row.starts_at, row.ends_at, text_key(row.place), conditions)


def _resolve_ref_group(group: _Group) -> None:
    """Rows sharing an ID: each activity column takes the value most rows give; a blank cell
    inherits it, a different value is an error on that row (never silently overwritten)."""
    first = group.members[0]
    signature = _signature(first)
    if signature is not None and signature[1] is not None and signature[2] is not None:
        # The usual case: every row repeats the same clean activity columns (the very same
        # values, as the parser shares them: compared as they are before their text keys).
        row = first.parsed
        same = (row.activity_name, row.starts_at, row.ends_at, row.place, row.conditions)
        if all(
            not m.issues
            and (
                ((p := m.parsed).activity_name, p.starts_at, p.ends_at, p.place, p.conditions) == same
                or _signature(m) == signature
            )
            for m in group.members[1:]
        ):
            group.name, group.starts_at, group.ends_at = row.activity_name, row.starts_at, row.ends_at
            group.place, group.conditions = row.place, row.conditions
            return
    ref = group.ref
    for attr, key in _ACTIVITY_ATTRS:
        chosen = _majority(group.members, attr, key)
        if chosen is None:
            if attr != "conditions":
                for member in group.members:
                    if not _has_issue(member, attr):
                        member.issues.append(_required(attr))
            continue
        value, chosen_key, first_row = chosen
        setattr(group, "name" if attr == "activity_name" else attr, value)
        shown = _show(value)
        for member in group.members:
            own = getattr(member.parsed, attr)
            if own is not None and not _has_issue(member, attr) and key(own) != chosen_key:
                member.issues.append(
                    Issue(
                        "id_mismatch",
                        _header(attr),
                        f"同じID「{ref}」の他の行（{first_row}行目など）と異なります: {shown}",
                        f"differs from the other rows with ID {ref!r} (row {first_row}): {shown}",
                    )
                )


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(JST).strftime("%Y/%m/%d %H:%M")
    return str(value)


def _check_activity(group: _Group, lg_code: str, now: datetime) -> None:
    start, end, name, place = group.starts_at, group.ends_at, group.name, group.place
    if start is None or end is None or name is None or place is None:
        return  # required-cell issues are already on the rows
    problems: list[Issue] = []
    if end <= start:
        hint = "（時刻も記入してください）" if start == end and start.hour == start.minute == 0 else ""
        problems.append(
            Issue(
                "end_not_after_start",
                _header("ends_at"),
                f"終了日時が開始日時より後になっていません{hint}",
                "the end must be after the start",
            )
        )
    if start < BACKFILL_START:
        problems.append(
            Issue(
                "before_backfill_period",
                _header("starts_at"),
                "令和8年(2026年)4月1日より前の活動は記録できません",
                "activities before 2026-04-01 (JST) cannot be recorded",
            )
        )
    if start > now:
        problems.append(
            Issue("in_future", _header("starts_at"), "未来の日時です", "the activity has not started yet")
        )
    elif end > now:
        problems.append(
            Issue(
                "in_future",
                _header("ends_at"),
                "まだ終了していない活動です（未来の日時）",
                "the activity has not ended yet",
            )
        )
    if problems:
        for member in group.members:
            member.issues.extend(problems)
        return
    group.key = activity_key(lg_code, ref=group.ref, name=name, starts_at=start, ends_at=end, place=place)


def validate(sheet: ParsedSheet, *, lg_code: str, now: datetime | None = None) -> ValidationResult:
    """Validate every row, group activities, merge duplicate people. Never raises for bad rows."""
    if not is_valid_lg_code(lg_code):
        raise ValueError(f"invalid lg_code {lg_code!r}")
    with gc_paused():
        return _validate(sheet, lg_code, (now or clock.now()).astimezone(JST))


def _validate(sheet: ParsedSheet, lg_code: str, now: datetime) -> ValidationResult:
    today = now.date()
    results = [RowResult(row, "ok", list(row.issues) if row.issues else []) for row in sheet.rows]

    groups: dict[tuple[Hashable, ...], _Group] = {}
    group_of: list[_Group | None] = []
    activity_texts: dict[tuple[str | None, ...], bool] = {}
    last_ref_key, last_owner = None, None  # the rows of an activity usually follow each other
    for result in results:
        row = result.parsed
        ref = row.activity_ref_key
        if ref:
            if not _row_passes(row, today, activity_texts, False):
                _check_row(result, today, activity_columns=False)
            if ref == last_ref_key and last_owner is not None:
                owner = last_owner
            else:
                ref_key = ("ref", ref)
                owner = groups.get(ref_key) or groups.setdefault(ref_key, _Group(row.activity_ref, []))
                last_ref_key, last_owner = ref, owner
        else:
            if not _row_passes(row, today, activity_texts, True):
                _check_row(result, today, activity_columns=True)
            if any(getattr(row, k) is None or _has_issue(result, k) for k in _ACTIVITY_REQUIRED):
                group_of.append(None)
                continue
            assert row.activity_name is not None and row.place is not None
            cols = ("cols", text_key(row.activity_name), row.starts_at, row.ends_at, text_key(row.place))
            owner = groups.get(cols) or groups.setdefault(
                cols, _Group(None, [], row.activity_name, row.starts_at, row.ends_at, row.place, None)
            )
        owner.members.append(result)
        group_of.append(owner)

    for group in groups.values():
        if group.ref is not None:
            _resolve_ref_group(group)
        else:
            chosen = _majority(group.members, "conditions", text_key)
            group.conditions = chosen[0] if chosen else None
        _check_activity(group, lg_code, now)

    participations: list[BackfillParticipation] = []
    first_row: dict[str, RowResult] = {}
    activity_rows: dict[str, list[int]] = {}
    # participation_key and _person_key inlined (the same bytes digested): two per row.
    sha256, participation_prefix, person_prefix = (
        _sha256,
        _KEY_PREFIX + "participation\x1f",
        _KEY_PREFIX + "person\x1f",
    )
    new_participation = tuple.__new__  # a NamedTuple's own __new__ adds a call per row
    for result, group_or_none in zip(results, group_of, strict=True):
        row = result.parsed
        if group_or_none is None:
            result.status = "error"
            continue
        group = group_or_none  # rows outside any group have errors on their activity cells
        akey, birth_date = group.key, row.birth_date
        if akey is not None and group.starts_at is not None and birth_date is not None:
            if birth_date > group.starts_at.date() and not _has_issue(result, "birth_date"):
                result.issues.append(
                    Issue(
                        "born_after_activity",
                        _header("birth_date"),
                        "生年月日が活動日より後です",
                        "born after the activity",
                    )
                )
        if akey is None or (result.issues and result.has_errors):
            result.status = "error"
            continue
        name_key = row.name_key
        assert row.name and name_key and birth_date and row.postal_code and row.address and row.gender
        born = birth_date.isoformat()
        pkey = sha256(f"{participation_prefix}{akey}\x1f{name_key}\x1f{born}".encode()).hexdigest()[:32]
        result.activity_key, result.participation_key = akey, pkey
        rows_of_activity = activity_rows.get(akey)
        if rows_of_activity is None:
            activity_rows[akey] = [row.row]
        else:
            rows_of_activity.append(row.row)
        original = first_row.get(pkey)
        if original is not None:
            result.status = "duplicate"
            result.duplicate_of = original.row
            result.issues.append(
                Issue(
                    "duplicate_participant",
                    None,
                    f"{original.row}行目と同じ参加者です（同じ活動・氏名・生年月日）。1件として取り込みます",
                    f"same person as row {original.row} in the same activity: counted once",
                    "warning",
                )
            )
            continue
        first_row[pkey] = result
        match_key = sha256(f"{person_prefix}{name_key}\x1f{born}\x1f{row.postal_code}".encode()).hexdigest()[
            :32
        ]
        participations.append(
            new_participation(
                BackfillParticipation,
                (
                    pkey,
                    akey,
                    row.row,
                    row.name,
                    name_key,
                    birth_date,
                    row.postal_code,
                    row.address,
                    row.gender,
                    match_key,
                ),
            )
        )

    activities: list[BackfillActivity] = []
    for group in groups.values():
        if group.key is None or group.key not in activity_rows:
            continue
        assert group.name and group.starts_at and group.ends_at and group.place
        activities.append(
            BackfillActivity(
                key=group.key,
                ref=group.ref,
                name=group.name,
                starts_at=group.starts_at,
                ends_at=group.ends_at,
                place=group.place,
                conditions=group.conditions,
                rows=tuple(activity_rows[group.key]),
            )
        )
    activities.sort(key=lambda a: a.rows[0])
    return ValidationResult(lg_code, sheet, results, activities, participations)
