"""The one rule for text the system accepts: API strings, survey answers, spreadsheet cells.

Normalise first (Unicode NFC, trim), then validate: lone surrogates (which no UTF-8 encoder can
write) and control characters (C0 and C1, NUL included; line feed and tab only in multi-line
text) are refused, and free text must not carry an individual number (rule 7), however it is
written: 123456789012, 1234 5678 9012, 1234-5678-9012, 1234.5678.9012 or in full-width digits.
"""

from __future__ import annotations

import math
import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Characters people put between groups of digits.
SEPARATORS = r"\s\-‐－ー−.．・,，/／_"
_SEPARATOR_RUN = re.compile(f"[{SEPARATORS}]")
_TWELVE_DIGITS = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
# A cheap pre-filter of contains_individual_number: 12 digits, separators allowed between them.
TWELVE_DIGITS_LOOSE = re.compile(f"[0-9０-９](?:[{SEPARATORS}]*[0-9０-９]){{11}}")

NO_SURROGATES = "must be valid Unicode (no lone surrogates)"
NO_CONTROLS = "must not contain control characters"
NO_INDIVIDUAL_NUMBER = "must not contain an individual number"


def contains_individual_number(text: str) -> bool:
    """A 12-digit run once separators are removed: it could be an individual number (個人番号)."""
    if not TWELVE_DIGITS_LOOSE.search(text):
        return False
    # NFKC turns full-width digits and separators into ASCII ones.
    return bool(_TWELVE_DIGITS.search(_SEPARATOR_RUN.sub("", unicodedata.normalize("NFKC", text))))


def clean(value: str, *, multiline: bool = False, free_text: bool = True) -> tuple[str, str | None]:
    """(the normalised text, None) or (the text, why it is refused)."""
    if _SURROGATE.search(value):
        return value, NO_SURROGATES
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    value = value.strip()
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        return value, NO_CONTROLS
    if free_text and contains_individual_number(value):
        return value, NO_INDIVIDUAL_NUMBER
    return value, None


def is_clean(value: str) -> bool:
    """True when `clean(value, free_text=False)` would return `value` unchanged and no problem.

    One check can cover many texts joined by spaces: NFC composes nothing across a space.
    """
    return (
        not _REFUSED.search(value)
        and not value[:1].isspace()
        and not value[-1:].isspace()
        and unicodedata.is_normalized("NFC", value)
    )


# JSON numbers the system accepts: finite, and small enough to survive a float (and DynamoDB).
MAX_NUMBER = 10**15


def plain_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # A huge int must not reach math.isfinite, which raises OverflowError on it.
    if isinstance(value, int):
        return -MAX_NUMBER <= value <= MAX_NUMBER
    return math.isfinite(value) and -MAX_NUMBER <= value <= MAX_NUMBER


# What XML 1.0 (and so an xlsx cell) cannot hold: most C0 controls, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_CELL_CHARS = 32_767  # Excel's limit per cell


def cell_text(value: str) -> str:
    """Text fit for an xlsx cell, whatever was stored before the text rule: every writer of a
    spreadsheet (rosters, reports) passes its text through here."""
    return _NOT_XML.sub("", value)[:MAX_CELL_CHARS]
