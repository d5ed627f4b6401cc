"""Local government code check digits and prefecture helpers."""

from __future__ import annotations

import pytest

from furusato.domain.lg_code import (
    is_prefecture,
    is_valid_lg_code,
    is_valid_prefecture_code,
    lg_check_digit,
    prefecture_code_of,
    prefecture_lg_code,
)


@pytest.mark.parametrize(
    ("code5", "digit"),
    [
        ("01000", "6"),  # 北海道
        ("01100", "2"),  # 札幌市
        ("21217", "2"),  # 飛騨市
        ("13104", "1"),  # 新宿区
        ("32201", "6"),  # 松江市
        ("13000", "1"),  # 東京都
        ("14150", "0"),  # 相模原市: sum % 11 == 1 gives 10, kept as 0
        ("00000", "1"),  # sum 0: (11 - 0) % 10
    ],
)
def test_check_digit(code5: str, digit: str) -> None:
    assert lg_check_digit(code5) == digit


@pytest.mark.parametrize(
    "code6", ["010006", "212172", "131041", "130001", "320005", "210005", "322016", "011002", "141003"]
)
def test_valid_lg_codes(code6: str) -> None:
    assert is_valid_lg_code(code6)


@pytest.mark.parametrize(
    "code6",
    [
        "131042",  # wrong check digit
        "212171",
        "010005",
        "13104",  # JIS code without check digit
        "1310411",
        "13104a",
        "１３１０４１",  # full-width digits are not a code
        " 131041",
        "",
    ],
)
def test_invalid_lg_codes(code6: str) -> None:
    assert not is_valid_lg_code(code6)


def test_exactly_one_check_digit_is_valid() -> None:
    # A check digit that accepted two suffixes would not catch single-digit typos.
    for n in range(1_000, 48_000, 7):  # prefectures 01..47
        code5 = f"{n:05d}"
        valid = [d for d in "0123456789" if is_valid_lg_code(code5 + d)]
        assert valid == [lg_check_digit(code5)]


@pytest.mark.parametrize(
    ("prefecture", "lg_code"),
    [("01", "010006"), ("13", "130001"), ("21", "210005"), ("32", "320005"), ("47", "470007")],
)
def test_prefecture_lg_code(prefecture: str, lg_code: str) -> None:
    assert prefecture_lg_code(prefecture) == lg_code
    assert is_valid_lg_code(lg_code)
    assert is_prefecture(lg_code)
    assert prefecture_code_of(lg_code) == prefecture


def test_prefecture_code_of_municipality() -> None:
    assert prefecture_code_of("131041") == "13"
    assert prefecture_code_of("011002") == "01"
    assert not is_prefecture("131041")
    assert not is_prefecture("011002")


@pytest.mark.parametrize("code", ["01", "13", "47"])
def test_valid_prefecture_codes(code: str) -> None:
    assert is_valid_prefecture_code(code)


@pytest.mark.parametrize("code", ["00", "48", "99", "1", "013", "", "ab"])
def test_invalid_prefecture_codes(code: str) -> None:
    assert not is_valid_prefecture_code(code)


@pytest.mark.parametrize("code6", ["000001", "480005", "１３０００１"])
def test_codes_outside_the_prefectures_or_not_ascii_are_invalid(code6: str) -> None:
    assert not is_valid_lg_code(code6)
