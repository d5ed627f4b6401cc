"""Validation of backfill rows: reasons per row, grouping, duplicates, deterministic keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from furusato import clock
from furusato.clock import JST
from furusato.imports import analyse
from furusato.imports.rows import parse_xlsx
from furusato.imports.validate import (
    BACKFILL_START,
    RowResult,
    ValidationResult,
    activity_key,
    participation_key,
    person_match_key,
    validate,
)
from tests.fixtures.imports import HEADERS, official, sample_rows

LG = "212172"  # 飛騨市
AFTER_SAMPLES = datetime(2027, 4, 1, 9, 0, tzinfo=JST)


@pytest.fixture(autouse=True)
def after_the_samples() -> Iterator[None]:
    """The clock just after the source's last sample activity (2027-03-21)."""
    clock.freeze(AFTER_SAMPLES)
    yield
    clock.unfreeze()


def run(
    rows: list[list[Any]], *, reader: str = "calamine", lg_code: str = LG, **kwargs: Any
) -> ValidationResult:
    return analyse(official(rows, **kwargs), lg_code=lg_code, reader=reader)  # type: ignore[arg-type]


def put(row: list[Any], **values: Any) -> list[Any]:
    row = list(row)
    for header, value in values.items():
        row[HEADERS.index(header)] = value
    return row


def problems(result: RowResult) -> list[tuple[str, str | None]]:
    return [(i.code, i.column) for i in result.issues if i.severity == "error"]


# -- the source's sample ----------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_source_sample_is_five_activities_and_ten_people(reader: str) -> None:
    result = run(sample_rows(), reader=reader)
    assert result.summary() == {
        "rows_total": 14,
        "rows_valid": 14,
        "rows_duplicate": 0,
        "rows_rejected": 0,
        "activities": 5,
        "participations": 14,
        "people": 10,
    }
    assert all(r.status == "ok" and not r.issues for r in result.rows)
    by_ref = {a.ref: a for a in result.activities}
    assert list(by_ref) == ["EVT-001", "EVT-002", "EVT-003", "EVT-004", "EVT-005"]
    assert [len(a.rows) for a in result.activities] == [3, 1, 6, 3, 1]
    snow = by_ref["EVT-004"]
    assert (snow.name, snow.place, snow.conditions) == ("雪下ろし", "区宮駐輪場", "体力に自信のある方")
    assert (snow.starts_at, snow.ends_at, snow.day) == (
        datetime(2027, 1, 2, 9, 30, tzinfo=JST),
        datetime(2027, 1, 2, 12, 30, tzinfo=JST),
        date(2027, 1, 2),
    )
    assert by_ref["EVT-001"].conditions is None and by_ref["EVT-002"].conditions == "PCスキル歓迎"
    # 中村 悠真, 小林 智子 and 吉田 美優 took part in EVT-003 and EVT-004; 佐藤 健一 in 001 and 005.
    per_person: dict[str, set[str]] = {}
    refs = {a.key: a.ref for a in result.activities}
    for p in result.participations:
        per_person.setdefault(p.match_key, set()).add(str(refs[p.activity_key]))
    assert sorted(len(v) for v in per_person.values()) == [1] * 6 + [2] * 4
    sato = next(p for p in result.participations if p.name_key == "佐藤健一")
    assert (sato.name, sato.birth_date, sato.postal_code, sato.gender) == (
        "佐藤 健一",
        date(1974, 2, 18),
        "1247834",
        "male",
    )
    assert sato.match_key == person_match_key("佐藤　健一", date(1974, 2, 18), "〒124-7834")


def test_without_the_frozen_clock_later_activities_are_in_the_future() -> None:
    clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=JST))
    result = run(sample_rows())
    assert (result.rows_valid, result.rows_rejected) == (10, 4)
    future = [r for r in result.rows if r.status == "error"]
    assert [r.row for r in future] == [14, 15, 16, 17]
    assert all(problems(r) == [("in_future", "活動開始日時")] for r in future)
    assert "未来" in future[0].reason() and "not started" in future[0].reason()
    assert [a.ref for a in result.activities] == ["EVT-001", "EVT-002", "EVT-003"]


def test_same_file_twice_gives_the_same_keys() -> None:
    first, second = run(sample_rows()), run(sample_rows(), reader="openpyxl")
    assert [a.key for a in first.activities] == [a.key for a in second.activities]
    assert [p.key for p in first.participations] == [p.key for p in second.participations]
    assert len({p.key for p in first.participations}) == 14


def test_keys_do_not_depend_on_row_order_or_cell_types() -> None:
    base = run(sample_rows())
    reordered = run(list(reversed(sample_rows())))
    excel = [
        put(
            r,
            活動開始日時=datetime.strptime(r[2], "%Y年%m月%d日 %H:%M"),
            活動終了日時=datetime.strptime(r[3], "%Y年%m月%d日 %H:%M"),
            生年月日=datetime.strptime(r[9], "%Y/%m/%d"),
            ID=r[0].lower(),
            氏名=r[6].replace(" ", "\u3000"),
            郵便番号=r[7].replace("-", ""),
        )
        for r in sample_rows()
    ]
    retyped = run(excel, formats={2: "yyyy/m/d h:mm", 3: "yyyy/m/d h:mm"})
    keys = {p.key for p in base.participations}
    assert {p.key for p in reordered.participations} == keys
    assert {p.key for p in retyped.participations} == keys
    assert {a.key for a in retyped.activities} == {a.key for a in base.activities}


def test_keys_belong_to_the_government() -> None:
    other = run(sample_rows(), lg_code="131041")  # 新宿区
    assert not {a.key for a in other.activities} & {a.key for a in run(sample_rows()).activities}


def test_key_scheme_is_pinned() -> None:
    # Changing these values makes every re-import duplicate: it needs a migration, not a test edit.
    start, end = datetime(2026, 4, 10, 10, tzinfo=JST), datetime(2026, 4, 10, 12, tzinfo=JST)
    by_ref = activity_key(
        LG, ref="EVT-001", name="農業ボランティア", starts_at=start, ends_at=end, place="市中央ホールA"
    )
    by_columns = activity_key(
        LG, ref=None, name="農業ボランティア", starts_at=start, ends_at=end, place="市中央ホールA"
    )
    assert by_ref == "107f0a4f6c97aea2b63f0cca64402b1c"
    assert by_columns == "5087fa52da84df681b79adc76925d976"
    assert participation_key(by_ref, "佐藤健一", date(1974, 2, 18)) == "8cdfb5812b69c12d53e8589caef59502"
    assert person_match_key("佐藤 健一", date(1974, 2, 18), "124-7834") == "ff74d3146bcfbc84718f12dc3b639209"


def test_validated_rows_carry_the_pinned_keys() -> None:
    # validate() computes both keys inline, for speed: they must be the functions' keys.
    result = run(sample_rows())
    assert result.participations
    for p in result.participations:
        assert p.key == participation_key(p.activity_key, p.name_key, p.birth_date)
        assert p.match_key == person_match_key(p.name, p.birth_date, p.postal_code)
    assert {r.participation_key for r in result.rows if r.status != "error"} == {
        p.key for p in result.participations
    }


def test_an_id_key_survives_corrections_but_not_another_day() -> None:
    start, end = datetime(2026, 4, 10, 10, tzinfo=JST), datetime(2026, 4, 10, 12, tzinfo=JST)
    key = activity_key(
        LG, ref="EVT-001", name="農業ボランティア", starts_at=start, ends_at=end, place="ホールA"
    )
    fixed = activity_key(
        LG,
        ref="evt-001",
        name="農業ボランティア（午前）",
        starts_at=start.replace(hour=9),
        ends_at=end,
        place="ホールB",
    )
    other_day = activity_key(
        LG,
        ref="EVT-001",
        name="農業ボランティア",
        starts_at=start.replace(day=11),
        ends_at=end,
        place="ホールA",
    )
    assert fixed == key and other_day != key


def test_person_match_key_normalises_its_inputs() -> None:
    key = person_match_key("佐藤 健一", date(1974, 2, 18), "124-7834")
    assert person_match_key("佐藤　健一", date(1974, 2, 18), "1247834") == key
    assert person_match_key("佐藤健一", date(1974, 2, 18), "〒１２４－７８３４") == key
    assert person_match_key("佐藤 健一", date(1974, 2, 19), "124-7834") != key
    assert person_match_key("佐藤 健一", date(1974, 2, 18), "124-7835") != key


def test_invalid_lg_code_is_a_programming_error() -> None:
    sheet = parse_xlsx(official(sample_rows()))
    with pytest.raises(ValueError, match="lg_code"):
        validate(sheet, lg_code="212171")


# -- required cells and values ----------------------------------------------------------------

REQUIRED = (
    "活動名",
    "活動開始日時",
    "活動終了日時",
    "活動場所",
    "氏名",
    "郵便番号",
    "住所(除郵便番号)",
    "生年月日",
    "性別",
)


@pytest.mark.parametrize("header", REQUIRED)
def test_each_required_cell(header: str) -> None:
    blank = put(sample_rows()[4], ID=None, **{header: None})  # EVT-002's only row, without ID
    result = run([blank, *sample_rows()[5:7]])
    bad = result.rows[0]
    assert bad.status == "error"
    assert problems(bad) == [("required", header)]
    assert "必須項目が空欄です" in bad.reason() and "required" in bad.reason()
    assert [r.status for r in result.rows[1:]] == ["ok", "ok"]


@pytest.mark.parametrize("header", ["ID", "参加条件"])
def test_optional_cells_may_be_blank(header: str) -> None:
    result = run([put(sample_rows()[3], **{header: None})])
    assert result.rows[0].status == "ok"


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("活動開始日時", "2026/2/30 10:00", "impossible_date"),
        ("活動終了日時", "2026年4月10日 25:00", "impossible_time"),
        ("生年月日", "1974/2/30", "impossible_date"),
        ("生年月日", "昭和64年1月8日", "impossible_date"),
        ("郵便番号", "124-783", "invalid_postal_code"),
        ("性別", "不詳", "invalid_gender"),
    ],
)
def test_bad_values_are_errors_on_their_column(header: str, value: str, code: str) -> None:
    result = run([put(sample_rows()[0], **{header: value}), sample_rows()[1]])
    bad, good = result.rows
    assert bad.status == "error" and (code, header) in problems(bad)
    assert good.status == "ok"  # the other rows of the activity still import
    assert len(result.participations) == 1 and len(result.activities) == 1


def test_an_error_row_alone_creates_no_activity() -> None:
    result = run([put(sample_rows()[3], 生年月日="1982/4/31")])
    assert result.rows[0].status == "error"
    assert result.activities == [] and result.participations == []


def test_individual_number_is_refused() -> None:
    result = run([put(sample_rows()[0], **{"住所(除郵便番号)": "東京都新宿区○○ 番号 1234 5678 9012"})])
    assert problems(result.rows[0]) == [("individual_number", "住所(除郵便番号)")]
    assert result.participations == []


def test_individual_number_with_dots_is_refused() -> None:
    result = run([put(sample_rows()[0], **{"住所(除郵便番号)": "新宿区 1234.5678.9012"})])
    assert problems(result.rows[0]) == [("individual_number", "住所(除郵便番号)")]


def test_names_follow_the_text_rule_of_the_api() -> None:
    decomposed = put(sample_rows()[0], 氏名="か\u3099き 花子")  # が as か + combining dakuten
    control = put(sample_rows()[1], 氏名="山田\x85花子")  # a C1 control: xlsx can hold it
    result = run([decomposed, control])
    assert result.rows[0].status == "ok" and result.rows[0].parsed.name == "がき 花子"
    assert problems(result.rows[1]) == [("invalid_characters", "氏名")]


def test_the_text_rule_is_checked_per_cell_not_across_cells() -> None:
    # The row is checked at once: a combining mark opening one cell must not compose with the
    # previous cell's last letter, and a control in any one cell is still found.
    across = put(sample_rows()[0], 活動場所="会場か", 氏名="\u3099佐藤 花子")
    tab = put(sample_rows()[1], 活動場所="会場か", **{"住所(除郵便番号)": "新宿区\t1-2"})
    result = run([across, tab])
    assert result.rows[0].status == "ok" and result.rows[0].parsed.name == "\u3099佐藤 花子"
    assert result.rows[0].parsed.place == "会場か"
    assert problems(result.rows[1]) == [("invalid_characters", "住所(除郵便番号)")]


def test_overlong_text_is_refused() -> None:
    result = run([put(sample_rows()[0], 氏名="佐藤" * 60)])
    assert problems(result.rows[0]) == [("too_long", "氏名")]


@pytest.mark.parametrize("birth", ["2027/4/2", "1899/12/31"])
def test_birth_date_out_of_range(birth: str) -> None:
    result = run([put(sample_rows()[0], 生年月日=birth)])
    assert problems(result.rows[0]) == [("birth_date_out_of_range", "生年月日")]


def test_born_after_the_activity() -> None:
    result = run([put(sample_rows()[0], 生年月日="2026/5/1")])
    assert problems(result.rows[0]) == [("born_after_activity", "生年月日")]


# -- activity dates ---------------------------------------------------------------------------


def test_end_must_be_after_start() -> None:
    result = run([put(sample_rows()[3], 活動終了日時="2026年5月3日 12:00")])
    assert problems(result.rows[0]) == [("end_not_after_start", "活動終了日時")]
    assert "終了日時が開始日時より後になっていません" in result.rows[0].reason()


def test_equal_dates_without_times_hint_at_the_time() -> None:
    result = run([put(sample_rows()[3], 活動開始日時="2026/5/3", 活動終了日時="2026/5/3")])
    row = result.rows[0]
    assert problems(row) == [("end_not_after_start", "活動終了日時")]
    assert "時刻も記入してください" in row.reason()


def test_a_date_without_time_is_a_warning_only() -> None:
    result = run([put(sample_rows()[3], 活動開始日時="2026/5/3")])
    row = result.rows[0]
    assert row.status == "ok"
    assert [(i.code, i.severity) for i in row.issues] == [("time_missing", "warning")]
    assert result.activities[0].starts_at == datetime(2026, 5, 3, tzinfo=JST)


@pytest.mark.parametrize(
    ("start", "ok"),
    [
        ("2026/3/31 23:59", False),
        ("2026/4/1 0:00", True),
        ("2026-03-31T15:00:00Z", True),  # = 2026-04-01 00:00 JST
        ("2026-03-31T14:59:00Z", False),
        ("令和8年3月31日 10:00", False),
    ],
)
def test_activities_before_april_2026_are_refused(start: str, ok: bool) -> None:
    result = run([put(sample_rows()[3], 活動開始日時=start, 活動終了日時="2026/4/1 12:00")])
    assert BACKFILL_START == datetime(2026, 4, 1, tzinfo=JST)
    expected = [] if ok else [("before_backfill_period", "活動開始日時")]
    assert problems(result.rows[0]) == expected


def test_activity_still_running_is_in_the_future() -> None:
    result = run([put(sample_rows()[3], 活動開始日時="2027/4/1 8:00", 活動終了日時="2027/4/1 10:00")])
    assert problems(result.rows[0]) == [("in_future", "活動終了日時")]


# -- grouping ---------------------------------------------------------------------------------


def test_rows_sharing_an_id_must_agree() -> None:
    rows = sample_rows()[:3]
    rows[1] = put(rows[1], 活動場所="市中央ホールB")
    result = run(rows)
    assert [r.status for r in result.rows] == ["ok", "error", "ok"]
    bad = result.rows[1]
    assert problems(bad) == [("id_mismatch", "活動場所")]
    assert "EVT-001" in bad.reason() and "市中央ホールA" in bad.reason() and "4行目" in bad.reason()
    (activity,) = result.activities
    assert activity.place == "市中央ホールA" and activity.rows == (4, 6)


def test_id_disagreement_on_times() -> None:
    rows = sample_rows()[4:10]  # EVT-003, six rows
    rows[0] = put(rows[0], 活動開始日時="2026年6月15日 13:00")
    result = run(rows)
    assert problems(result.rows[0]) == [("id_mismatch", "活動開始日時")]
    assert result.activities[0].starts_at == datetime(2026, 6, 15, 13, 30, tzinfo=JST)
    assert result.rows_valid == 5


def test_id_agreement_ignores_width_and_spaces() -> None:
    rows = sample_rows()[:3]
    rows[1] = put(rows[1], 活動場所="市中央ホール Ａ", 活動名="農業 ボランティア")
    result = run(rows)
    assert result.rows_valid == 3 and len(result.activities) == 1


def test_rows_sharing_an_id_may_leave_activity_cells_blank() -> None:
    rows = sample_rows()[5:8]  # EVT-003
    rows[1] = put(rows[1], 活動名=None, 活動開始日時=None, 活動終了日時=None, 活動場所=None, 参加条件=None)
    rows[2] = put(rows[2], 活動名=None, 活動場所=None)
    result = run(rows)
    assert result.rows_valid == 3
    (activity,) = result.activities
    assert (activity.name, activity.place, activity.conditions) == (
        "清掃活動",
        "モデルタウン運動広場",
        "先着30名",
    )


def test_an_id_group_without_a_required_activity_value() -> None:
    rows = [put(r, 活動場所=None) for r in sample_rows()[:3]]
    result = run(rows)
    assert all(problems(r) == [("required", "活動場所")] for r in result.rows)
    assert result.activities == []


def test_rows_without_id_group_by_name_times_and_place() -> None:
    rows = [put(r, ID=None) for r in sample_rows()]
    rows[1] = put(rows[1], 活動名="農業ボランティア ", 活動場所="市中央ホールＡ")  # same after normalising
    rows[2] = put(rows[2], 活動場所="市中央ホールB")  # another place: another activity
    result = run(rows)
    assert result.rows_valid == 14
    assert len(result.activities) == 6
    assert [a.rows for a in result.activities[:2]] == [(4, 5), (6,)]
    assert all(a.ref is None for a in result.activities)
    assert result.activities[2].conditions == "PCスキル歓迎"


def test_files_reusing_an_id_on_other_days_do_not_collide() -> None:
    april = run(sample_rows()[:1])  # EVT-001 on 2026-04-10
    may = run([put(sample_rows()[3], ID="EVT-001")])  # another clerk's EVT-001, on 2026-05-03
    assert april.activities[0].key != may.activities[0].key


# -- duplicates -------------------------------------------------------------------------------


def test_same_person_twice_in_one_activity_is_one_participation() -> None:
    rows = sample_rows()[:3]
    again = put(rows[0], 氏名="佐藤\u3000健一", 郵便番号="1247834")
    result = run([*rows, again])
    assert [r.status for r in result.rows] == ["ok", "ok", "ok", "duplicate"]
    dup = result.rows[3]
    assert dup.duplicate_of == 4 and dup.participation_key == result.rows[0].participation_key
    assert [(i.code, i.severity) for i in dup.issues] == [("duplicate_participant", "warning")]
    assert "4行目と同じ参加者" in dup.reason()
    assert (result.rows_total, result.rows_valid, result.rows_duplicate, result.rows_rejected) == (4, 3, 1, 0)
    assert len(result.participations) == 3
    assert result.activities[0].rows == (4, 5, 6, 7)


def test_same_name_other_birth_date_is_another_person() -> None:
    rows = sample_rows()[:1]
    result = run([*rows, put(rows[0], 生年月日="1975/2/18")])
    assert [r.status for r in result.rows] == ["ok", "ok"] and result.people == 2


def test_duplicate_of_an_error_row_is_not_a_duplicate() -> None:
    rows = sample_rows()[:1]
    result = run([put(rows[0], 性別="?"), rows[0]])
    assert [r.status for r in result.rows] == ["error", "ok"]


def test_counts_add_up() -> None:
    rows = [*sample_rows(), sample_rows()[0], put(sample_rows()[1], 郵便番号="x")]
    result = run(rows)
    assert result.rows_total == result.rows_valid + result.rows_duplicate + result.rows_rejected == 16
    assert (result.rows_valid, result.rows_duplicate, result.rows_rejected) == (14, 1, 1)
    assert result.rows_valid == len(result.participations)


def test_zero_rows() -> None:
    result = run([])
    assert result.rows == [] and result.activities == [] and result.summary()["rows_total"] == 0


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_activity_cells_merged_down_an_id_group(reader: str) -> None:
    """Clerks merge an activity's cells over its participants' rows: only the first row keeps the
    values. With an ID the other rows inherit them; without one they would be required errors."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(official(sample_rows()[4:10])))  # EVT-003, rows 4-9
    sheet = book.active
    assert sheet is not None
    for column in "BCDEF":
        sheet.merge_cells(f"{column}4:{column}9")
    out = io.BytesIO()
    book.save(out)
    result = analyse(out.getvalue(), lg_code=LG, reader=reader)  # type: ignore[arg-type]
    assert result.sheet.rows[1].activity_name is None  # really merged: the cell is empty
    assert result.rows_valid == 6 and len(result.activities) == 1
    assert result.activities[0].conditions == "先着30名"
