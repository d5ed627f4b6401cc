"""Municipality names (Japan Post data, see scripts/build_municipalities.py): lg_code by address.

A verified identity carries an address, not a postal code; its municipality is the residence."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "municipalities.tsv"


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """(prefecture name -> its lg_code, prefecture name -> [(municipality name, lg_code)])."""
    prefectures: dict[str, str] = {}
    municipalities: dict[str, list[tuple[str, str]]] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        code, prefecture, name = line.split("\t")
        if not name:
            prefectures[prefecture] = code
            continue
        entries = municipalities.setdefault(prefecture, [])
        entries.append((name, code))
        if "郡" in name:
            # Addresses often leave out the county: 大野郡白川村 is also written 白川村.
            entries.append((name.split("郡", 1)[1], code))
    for entries in municipalities.values():
        entries.sort(key=lambda e: -len(e[0]))  # longest name first: 市川市 before 市
    return prefectures, municipalities


def _normalise(address: str) -> str:
    return "".join(unicodedata.normalize("NFKC", address).split())


def lg_code_for_address(address: str) -> str | None:
    """The municipality's lg_code for a Japanese address, or None when it cannot be told."""
    text = _normalise(address)
    prefectures, municipalities = _table()
    for prefecture in prefectures:
        if text.startswith(prefecture):
            rest = text[len(prefecture) :]
            for name, code in municipalities.get(prefecture, ()):
                if rest.startswith(name):
                    return code
            return None
    # No prefecture written: accept only an unambiguous municipality.
    found = {code for entries in municipalities.values() for name, code in entries if text.startswith(name)}
    return found.pop() if len(found) == 1 else None


def name_of(lg_code: str) -> str | None:
    prefectures, municipalities = _table()
    for prefecture, code in prefectures.items():
        if code == lg_code:
            return prefecture
    for prefecture, entries in municipalities.items():
        for name, code in entries:
            if code == lg_code:  # the full name (with its county) sorts first
                return f"{prefecture}{name}"
    return None
