"""Parsing real backfill files: header finding, every value format, blank rows, both readers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from furusato.clock import JST
from furusato.imports import FileRejected
from furusato.imports.cells import name_key, parse_birth_date, parse_datetime, parse_gender
from furusato.imports.readers import available_readers, default_reader
from furusato.imports.rows import ParsedRow, parse_xlsx
from furusato.imports.safety import check_xlsx
from tests.fixtures.imports import HEADERS, official, sample_rows, source_sheet, xlsx

READERS = ("calamine", "openpyxl")
TYPED = (
    "row",
    "activity_ref",
    "activity_ref_key",
    "activity_name",
    "starts_at",
    "ends_at",
    "place",
    "conditions",
    "name",
    "name_key",
    "postal_code",
    "address",
    "birth_date",
    "gender",
)


def typed(row: ParsedRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in TYPED} | {"issues": [(i.code, i.column) for i in row.issues]}


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=JST)


def row_with(**values: Any) -> list[Any]:
    """The first sample row with some columns replaced, by header."""
    row: list[Any] = sample_rows()[0]
    for header, value in values.items():
        row[HEADERS.index(header)] = value
    return row


def parse_one(row: list[Any], reader: str = "calamine", **kwargs: Any) -> ParsedRow:
    sheet = parse_xlsx(official([row], **kwargs), reader=reader)  # type: ignore[arg-type]
    assert len(sheet.rows) == 1
    return sheet.rows[0]


# -- the source's sample ----------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_source_sample_rows_parse_cleanly(reader: str) -> None:
    data = official(sample_rows())
    check_xlsx(data)
    sheet = parse_xlsx(data, reader=reader)  # type: ignore[arg-type]
    assert sheet.header_row == 3  # below the group row and the 必須/任意 row
    assert sheet.reader == reader
    assert set(sheet.headers.values()) == set(HEADERS)
    assert [r.row for r in sheet.rows] == list(range(4, 18))
    assert all(not r.issues for r in sheet.rows)
    first = sheet.rows[0]
    assert first.activity_ref == "EVT-001"
    assert first.activity_name == "農業ボランティア"
    assert first.starts_at == jst(2026, 4, 10, 10, 0)
    assert first.ends_at == jst(2026, 4, 10, 12, 0)
    assert first.place == "市中央ホールA"
    assert first.conditions is None
    assert first.name == "佐藤 健一" and first.name_key == "佐藤健一"
    assert first.postal_code == "1247834"
    assert first.address == "東京都新宿区○●×□丁目◆◇番地"
    assert first.birth_date == date(1974, 2, 18)
    assert first.gender == "male"
    last = sheet.rows[-1]
    assert (last.activity_ref, last.starts_at, last.ends_at) == (
        "EVT-005",
        jst(2027, 3, 21, 17),
        jst(2027, 3, 21, 18, 30),
    )
    assert sheet.rows[3].conditions == "PCスキル歓迎"
    assert sheet.rows[5].postal_code == "0673214"  # the leading zero of 067-3214 is kept
    assert {r.gender for r in sheet.rows} == {"male", "female"}
    # Times are JST: 10:00 in the sheet is 01:00 UTC.
    assert first.starts_at.astimezone(UTC).hour == 1


def test_both_readers_give_the_same_rows() -> None:
    rows: list[list[Any]] = sample_rows()
    # Mix in Excel cells of every type the readers represent differently.
    rows[1][2], rows[1][3] = datetime(2026, 4, 10, 10, 0), datetime(2026, 4, 10, 12, 0)
    rows[2][9] = datetime(1955, 7, 29)
    rows[3][7] = 2896021  # a postal code typed as a number
    rows[4][9] = 20030917  # a birth date typed as yyyymmdd
    rows[5][2] = datetime(2026, 6, 15, 0, 0)  # a midnight datetime: calamine returns a date
    data = official(rows, formats={2: "yyyy/m/d h:mm", 3: "yyyy/m/d h:mm"})
    parsed = {reader: [typed(r) for r in parse_xlsx(data, reader=reader).rows] for reader in READERS}  # type: ignore[arg-type]
    assert parsed["calamine"] == parsed["openpyxl"]
    assert parsed["calamine"][5]["starts_at"] == jst(2026, 6, 15, 0, 0)


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
def test_yyyymmdd_number_in_a_date_formatted_cell() -> None:
    # Excel shows ##### for it. calamine hands over the number, read as yyyymmdd; openpyxl
    # replaces it with #VALUE!, reported as an error cell. Neither guesses a wrong date.
    data = official([row_with(生年月日=19740218)], formats={9: "yyyy/m/d"})
    assert parse_xlsx(data, reader="calamine").rows[0].birth_date == date(1974, 2, 18)
    row = parse_xlsx(data, reader="openpyxl").rows[0]
    assert row.birth_date is None and [(i.code, i.column) for i in row.issues] == [("cell_error", "生年月日")]


def test_calamine_is_the_default_reader() -> None:
    assert available_readers() == ("calamine", "openpyxl")
    assert default_reader() == "calamine"
    with pytest.raises(ValueError, match="unknown reader"):
        parse_xlsx(official([]), reader="pandas")  # type: ignore[arg-type]


# -- the header row ---------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_header_without_the_rows_above_it(reader: str) -> None:
    sheet = parse_xlsx(xlsx([list(HEADERS), *sample_rows()]), reader=reader)  # type: ignore[arg-type]
    assert sheet.header_row == 1
    assert len(sheet.rows) == 14
    assert sheet.rows[0].row == 2


@pytest.mark.parametrize("reader", READERS)
def test_header_below_a_title_and_notes(reader: str) -> None:
    rows = [
        ["令和8年度 担い手活動実績"],
        ["飛騨市 地域振興課"],
        [],
        ["※記入例を参考にしてください"],
        *source_sheet()[:3],
        *sample_rows(),
    ]
    sheet = parse_xlsx(xlsx(rows), reader=reader)  # type: ignore[arg-type]
    assert sheet.header_row == 7
    assert len(sheet.rows) == 14 and sheet.rows[0].row == 8


@pytest.mark.parametrize("reader", READERS)
def test_reordered_columns_give_the_same_values(reader: str) -> None:
    order = list(range(len(HEADERS)))
    random.Random(5).shuffle(order)
    assert order != sorted(order)
    shuffled = [[row[i] for i in order] for row in [list(HEADERS), *sample_rows()]]
    expected = [typed(r) for r in parse_xlsx(official(sample_rows()), reader=reader).rows]  # type: ignore[arg-type]
    got = [typed(r) for r in parse_xlsx(xlsx(shuffled), reader=reader).rows]  # type: ignore[arg-type]
    for row in got + expected:
        row.pop("row")
    assert got == expected


@pytest.mark.parametrize("reader", READERS)
def test_header_spelling_variants(reader: str) -> None:
    headers = [
        "ＩＤ",
        " 活動名 ",
        "活動開始\n日時",
        "活動終了　日時",
        "活動場所※",
        "参加条件（任意）",
        "氏名(必須)",
        "〒",
        "住所（除郵便番号）",
        "生年月日 ",
        "性 別",
    ]
    sheet = parse_xlsx(xlsx([headers, *sample_rows()]), reader=reader)  # type: ignore[arg-type]
    assert len(sheet.headers) == 11
    assert sheet.headers["starts_at"] == "活動開始\n日時"
    assert sheet.rows[0].postal_code == "1247834"
    assert sheet.rows[3].conditions == "PCスキル歓迎"


@pytest.mark.parametrize("reader", READERS)
def test_optional_columns_may_be_missing(reader: str) -> None:
    keep = [i for i, h in enumerate(HEADERS) if h not in ("ID", "参加条件")]
    rows = [[row[i] for i in keep] for row in [list(HEADERS), *sample_rows()]]
    sheet = parse_xlsx(xlsx(rows), reader=reader)  # type: ignore[arg-type]
    assert set(sheet.headers) == {
        "activity_name",
        "starts_at",
        "ends_at",
        "place",
        "name",
        "postal_code",
        "address",
        "birth_date",
        "gender",
    }
    assert all(r.activity_ref is None and r.conditions is None and not r.issues for r in sheet.rows)
    assert all(len(r.cells) == 11 for r in sheet.rows)


@pytest.mark.parametrize("reader", READERS)
def test_a_missing_required_column_refuses_the_file(reader: str) -> None:
    keep = [i for i, h in enumerate(HEADERS) if h not in ("性別", "生年月日")]
    rows = [[row[i] for i in keep] for row in [list(HEADERS), *sample_rows()]]
    with pytest.raises(FileRejected) as caught:
        parse_xlsx(xlsx(rows), reader=reader)  # type: ignore[arg-type]
    assert caught.value.reason == "missing_columns"
    assert caught.value.details["missing_columns"] == ["生年月日", "性別"]
    assert "生年月日、性別" in caught.value.message_ja


@pytest.mark.parametrize("reader", READERS)
def test_no_header_row_refuses_the_file(reader: str) -> None:
    with pytest.raises(FileRejected) as caught:
        parse_xlsx(xlsx(sample_rows()), reader=reader)  # type: ignore[arg-type]
    assert caught.value.reason == "header_not_found"
    assert "見出し行" in caught.value.message_ja


@pytest.mark.parametrize("reader", READERS)
def test_header_too_far_down_is_not_searched_for(reader: str) -> None:
    rows: list[list[Any]] = [[f"メモ {i}"] for i in range(30)]
    with pytest.raises(FileRejected) as caught:
        parse_xlsx(xlsx([*rows, list(HEADERS), *sample_rows()]), reader=reader)  # type: ignore[arg-type]
    assert caught.value.reason == "header_not_found"


@pytest.mark.parametrize("reader", READERS)
def test_header_on_a_later_sheet(reader: str) -> None:
    cover = {"表紙": [["令和8年度 担い手活動実績報告"], ["飛騨市"]]}
    sheet = parse_xlsx(official(sample_rows(), title="実績", first_sheets=cover), reader=reader)  # type: ignore[arg-type]
    assert sheet.sheet_name == "実績" and len(sheet.rows) == 14


@pytest.mark.parametrize("reader", READERS)
def test_zero_data_rows(reader: str) -> None:
    sheet = parse_xlsx(official([]), reader=reader)  # type: ignore[arg-type]
    assert sheet.header_row == 3 and sheet.rows == []


@pytest.mark.parametrize("reader", READERS)
def test_marker_row_below_the_header_is_not_data(reader: str) -> None:
    group, marks, header = source_sheet()[:3]
    sheet = parse_xlsx(xlsx([group, header, marks, *sample_rows()[:2]]), reader=reader)  # type: ignore[arg-type]
    assert [r.row for r in sheet.rows] == [4, 5]


# -- blank rows and positions -----------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_blank_rows_are_skipped_and_row_numbers_kept(reader: str) -> None:
    rows = sample_rows()
    data = official([rows[0], [], [None, "", "  ", "\u3000"], rows[1], [], [], rows[2]])
    sheet = parse_xlsx(data, reader=reader)  # type: ignore[arg-type]
    assert [r.row for r in sheet.rows] == [4, 7, 10]
    assert [r.name for r in sheet.rows] == ["佐藤 健一", "鈴木 美咲", "高橋 亮介"]


@pytest.mark.parametrize("reader", READERS)
def test_table_placed_away_from_a1(reader: str) -> None:
    rows = [[], [], *[[None, None, *r] for r in [list(HEADERS), *sample_rows()[:3]]]]
    sheet = parse_xlsx(xlsx(rows), reader=reader)  # type: ignore[arg-type]
    assert sheet.header_row == 3
    assert [r.row for r in sheet.rows] == [4, 5, 6]
    assert sheet.rows[0].activity_ref == "EVT-001" and sheet.rows[2].gender == "male"


@pytest.mark.parametrize("reader", READERS)
def test_too_many_rows_refuses_the_file(reader: str) -> None:
    with pytest.raises(FileRejected) as caught:
        parse_xlsx(official(sample_rows()), reader=reader, max_rows=10)  # type: ignore[arg-type]
    assert caught.value.reason == "too_many_rows"


# -- dates and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年4月10日 10:00", jst(2026, 4, 10, 10, 0)),
        ("2026年4月10日10:00", jst(2026, 4, 10, 10, 0)),
        ("2026/4/10 10:00", jst(2026, 4, 10, 10, 0)),
        ("2026/04/10 9:05", jst(2026, 4, 10, 9, 5)),
        ("2026-04-10 10:00", jst(2026, 4, 10, 10, 0)),
        ("2026-04-10 10:00:30", jst(2026, 4, 10, 10, 0, 30)),
        ("2026.4.10 10:00", jst(2026, 4, 10, 10, 0)),
        ("２０２６年４月１０日　１０：００", jst(2026, 4, 10, 10, 0)),
        ("２０２６／４／１０　１０：００", jst(2026, 4, 10, 10, 0)),
        ("  2026/4/10   10:00 ", jst(2026, 4, 10, 10, 0)),
        ("2026年4月10日(金) 10:00", jst(2026, 4, 10, 10, 0)),
        ("2026年4月10日（金曜日）10時30分", jst(2026, 4, 10, 10, 30)),
        ("2026年4月10日 午後1時30分", jst(2026, 4, 10, 13, 30)),
        ("2026/4/10 1:30 PM", jst(2026, 4, 10, 13, 30)),
        ("令和8年4月10日 10:00", jst(2026, 4, 10, 10, 0)),
        ("令和８年４月１０日　１０時", jst(2026, 4, 10, 10, 0)),
        ("R8.4.10 10:00", jst(2026, 4, 10, 10, 0)),
        ("r8/4/10 10:00", jst(2026, 4, 10, 10, 0)),
        ("㋿8年4月10日 10:00", jst(2026, 4, 10, 10, 0)),
        ("令和元年5月1日 10:00", jst(2019, 5, 1, 10, 0)),
        ("2026-04-10T10:00:00+09:00", jst(2026, 4, 10, 10, 0)),
        ("2026-04-10T01:00:00Z", jst(2026, 4, 10, 10, 0)),
        ("2026/4/10 24:00", jst(2026, 4, 11, 0, 0)),
        ("20260410 10:00", jst(2026, 4, 10, 10, 0)),
    ],
)
def test_text_datetimes(text: str, expected: datetime) -> None:
    value, issue = parse_datetime(text)
    assert issue is None
    assert value == expected
    assert value is not None and value.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026/2/30 10:00", "impossible_date"),  # never shifted to 3/2
        ("2026年4月31日 10:00", "impossible_date"),
        ("2027/2/29 10:00", "impossible_date"),
        ("平成31年5月1日 10:00", "impossible_date"),  # 平成 ended on 4/30
        ("令和元年4月30日 10:00", "impossible_date"),  # 令和 began on 5/1
        ("2026/4/10 25:00", "impossible_time"),
        ("2026/4/10 10:60", "impossible_time"),
        ("2026/4/10 10:00〜12:00", "invalid_datetime"),
        ("4月10日 10:00", "invalid_datetime"),  # no year: never guessed
        ("26/4/10 10:00", "invalid_datetime"),
        ("来週の金曜", "invalid_datetime"),
    ],
)
def test_bad_text_datetimes_are_issues(text: str, code: str) -> None:
    value, issue = parse_datetime(text)
    assert value is None
    assert issue is not None and issue.code == code and issue.severity == "error"


def test_range_in_one_cell_explains_the_two_columns() -> None:
    _, issue = parse_datetime("2026/4/10 10:00〜12:00")
    assert issue is not None and "別々の列" in issue.ja


def test_date_without_time_is_midnight_with_a_warning() -> None:
    value, issue = parse_datetime("2026/4/10")
    assert value == jst(2026, 4, 10, 0, 0)
    assert issue is not None and issue.code == "time_missing" and issue.severity == "warning"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2026, 4, 10, 10, 0), jst(2026, 4, 10, 10, 0)),  # naive Excel value: JST
        (datetime(2026, 4, 10, 9, 59, 59, 999_600), jst(2026, 4, 10, 10, 0)),  # float noise
        (date(2026, 4, 10), jst(2026, 4, 10, 0, 0)),
        (46122.5, jst(2026, 4, 10, 12, 0)),  # a serial in a cell without date format
        (46122, jst(2026, 4, 10, 0, 0)),
    ],
)
def test_excel_datetime_values(cell: Any, expected: datetime) -> None:
    assert parse_datetime(cell) == (expected, None)


@pytest.mark.parametrize("cell", [time(10, 0), timedelta(hours=10), True, -5, 10**9])
def test_values_that_are_not_datetimes(cell: Any) -> None:
    value, issue = parse_datetime(cell)
    assert value is None and issue is not None


@pytest.mark.parametrize("reader", READERS)
def test_excel_date_cells_in_a_file(reader: str) -> None:
    row = row_with(
        活動開始日時=datetime(2026, 4, 10, 10, 0),
        活動終了日時=datetime(2026, 4, 10, 12, 0),
        生年月日=datetime(1974, 2, 18),
    )
    parsed = parse_one(row, reader, formats={2: "yyyy/m/d h:mm", 3: "yyyy/m/d h:mm", 9: "yyyy/m/d"})
    assert (parsed.starts_at, parsed.ends_at, parsed.birth_date) == (
        jst(2026, 4, 10, 10, 0),
        jst(2026, 4, 10, 12, 0),
        date(1974, 2, 18),
    )
    assert not parsed.issues


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1974/2/18", date(1974, 2, 18)),
        ("1974-02-18", date(1974, 2, 18)),
        ("1974.2.18", date(1974, 2, 18)),
        ("1974年2月18日", date(1974, 2, 18)),
        ("1974年2月18日生", date(1974, 2, 18)),
        ("１９７４／２／１８", date(1974, 2, 18)),
        ("昭和49年2月18日", date(1974, 2, 18)),
        ("S49.2.18", date(1974, 2, 18)),
        ("s49/2/18", date(1974, 2, 18)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("H1.1.8", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("令和2年5月1日", date(2020, 5, 1)),
        ("19740218", date(1974, 2, 18)),
        (19740218, date(1974, 2, 18)),
        (27078, date(1974, 2, 18)),  # an Excel serial without date format
        ("1974/2/18 0:00", date(1974, 2, 18)),
        (datetime(1974, 2, 18), date(1974, 2, 18)),
        (date(1974, 2, 18), date(1974, 2, 18)),
    ],
)
def test_birth_dates(cell: Any, expected: date) -> None:
    assert parse_birth_date(cell) == (expected, None)


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1974/2/30", "impossible_date"),
        ("2023/2/29", "impossible_date"),
        ("昭和64年1月8日", "impossible_date"),  # 昭和 ended on 1/7
        ("平成元年1月7日", "impossible_date"),
        ("1974/2/18 10:00", "invalid_date"),
        ("49/2/18", "invalid_date"),
        ("不明", "invalid_date"),
        (19740230, "impossible_date"),
    ],
)
def test_bad_birth_dates(cell: Any, code: str) -> None:
    value, issue = parse_birth_date(cell)
    assert value is None and issue is not None and issue.code == code


# -- postal codes, names, gender --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("124-7834", "1247834"),
        ("1247834", "1247834"),
        ("〒124-7834", "1247834"),
        ("〒 124－7834", "1247834"),
        ("１２４ー７８３４", "1247834"),
        (" 124-7834 ", "1247834"),
        (1247834, "1247834"),
        (673214, "0673214"),  # a number cell lost the leading zero of 067-3214
    ],
)
@pytest.mark.parametrize("reader", READERS)
def test_postal_codes(cell: Any, expected: str, reader: str) -> None:
    parsed = parse_one(row_with(郵便番号=cell), reader)
    assert parsed.postal_code == expected and not parsed.issues


@pytest.mark.parametrize("cell", ["124-783", "12-345678", "郵便番号", "124-78345", 12.5])
def test_bad_postal_codes(cell: Any) -> None:
    parsed = parse_one(row_with(郵便番号=cell))
    assert parsed.postal_code is None
    assert [(i.code, i.column) for i in parsed.issues] == [("invalid_postal_code", "郵便番号")]


@pytest.mark.parametrize(
    "written", ["佐藤 健一", "佐藤　健一", "佐藤健一", " 佐藤  健一 ", "佐藤\u3000\u3000健一"]
)
def test_names_keep_their_spelling_and_share_one_key(written: str) -> None:
    parsed = parse_one(row_with(氏名=written))
    assert parsed.name == written.strip()
    assert parsed.name_key == "佐藤健一" == name_key("佐藤 健一")


def test_name_key_unifies_width_but_not_variant_kanji() -> None:
    assert name_key("ｻﾄｳ ｹﾝｲﾁ") == name_key("サトウ　ケンイチ")
    assert name_key("Sato Kenichi") == name_key("ＳＡＴＯ ＫＥＮＩＣＨＩ")
    assert name_key("髙橋 亮介") != name_key("高橋 亮介")


@pytest.mark.parametrize(
    ("word", "gender"),
    [
        ("男性", "male"),
        ("男", "male"),
        (" 男性 ", "male"),
        ("女性", "female"),
        ("女", "female"),
        ("その他", "other"),
        ("回答しない", "no_answer"),
        ("無回答", "no_answer"),
        ("Ｍ", "male"),
        ("female", "female"),
    ],
)
def test_gender_words(word: str, gender: str) -> None:
    assert parse_gender(word) == (gender, None)


@pytest.mark.parametrize("word", ["おとこ", "♂", "1", "男女"])
def test_unknown_gender_words(word: str) -> None:
    value, issue = parse_gender(word)
    assert value is None and issue is not None and issue.code == "invalid_gender"


# -- other cells ------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_excel_error_values_are_never_values(reader: str) -> None:
    parsed = parse_one(row_with(活動場所="#N/A"), reader)  # written as an error cell (t="e")
    assert parsed.place is None
    # openpyxl hands over "#N/A": an error issue. python-calamine 0.9 hands over "" for error
    # cells: blank, which validation reports as a required cell (tests/unit/test_imports_validate).
    expected = [("cell_error", "活動場所")] if reader == "openpyxl" else []
    assert [(i.code, i.column) for i in parsed.issues] == expected


def test_error_text_typed_by_hand_is_an_issue() -> None:
    from furusato.imports.rows import _parse_row

    row = _parse_row(4, (None, None, None, None, "#REF!", None, "佐藤 健一", None, None, None, None))
    assert row is not None and [(i.code, i.column) for i in row.issues] == [("cell_error", "活動場所")]


@pytest.mark.parametrize("reader", READERS)
def test_formulas_are_never_read_as_their_text(reader: str) -> None:
    # openpyxl writes no cached result, so the cell has no value: never the formula "=A1".
    parsed = parse_one(row_with(活動場所="=A1"), reader)
    assert parsed.place is None and not parsed.issues


@pytest.mark.parametrize("reader", READERS)
def test_numbers_in_text_columns_become_text(reader: str) -> None:
    parsed = parse_one(row_with(ID=1, 活動場所=204), reader)
    assert (parsed.activity_ref, parsed.activity_ref_key, parsed.place) == ("1", "1", "204")


def test_activity_ref_key_ignores_width_and_case() -> None:
    assert (
        parse_one(row_with(ID="ｅｖｔ－００１")).activity_ref_key
        == parse_one(row_with(ID="EVT-001")).activity_ref_key
    )


def test_rows_of_one_activity_share_its_cells_unless_their_types_differ() -> None:
    from furusato.imports import rows

    found = rows._match_header(HEADERS)
    person = ["佐藤 健一", "1000001", "東京都新宿区1", "1974/2/18", "男性"]
    head = ["EVT-1", "清掃活動", datetime(2026, 4, 10, 10), datetime(2026, 4, 10, 12), "広場", 1]
    other = [*head[:5], True]  # equal to 1 in Python, yet another value in the file
    read = rows._read_rows(
        found, iter([(4, [*head, *person]), (5, [*head, *person]), (6, [*other, *person])])
    )
    (_, first), (_, second), (_, third) = read
    assert first == second and all(a is b for a, b in zip(first[:6], second[:6], strict=True))
    assert third[5] is True and first[5] == 1 and type(first[5]) is int
