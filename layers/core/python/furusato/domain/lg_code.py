"""Local government codes (地方公共団体コード): 5-digit JIS X 0402 code plus a check digit."""

from __future__ import annotations

import re

_SIX_DIGITS = re.compile(r"[0-9]{6}", re.ASCII)
_WEIGHTS = (6, 5, 4, 3, 2)


def lg_check_digit(code5: str) -> str:
    """Check digit of a 5-digit code: (11 - weighted sum mod 11) mod 10."""
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def is_valid_lg_code(code6: str) -> bool:
    """Six ASCII digits, a real prefecture (01-47) and the right check digit."""
    return (
        bool(_SIX_DIGITS.fullmatch(code6))
        and is_valid_prefecture_code(code6[:2])
        and lg_check_digit(code6[:5]) == code6[5]
    )


def prefecture_code_of(lg_code: str) -> str:
    """The 2-digit JIS X 0401 prefecture code ("01".."47")."""
    return lg_code[:2]


def prefecture_lg_code(prefecture_code: str) -> str:
    """The lg_code of a prefecture itself, e.g. "13" -> "130001"."""
    base = f"{prefecture_code}000"
    return base + lg_check_digit(base)


def is_prefecture(lg_code: str) -> bool:
    return lg_code[2:5] == "000"


def is_valid_prefecture_code(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isdigit() and 1 <= int(code) <= 47
