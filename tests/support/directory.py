"""The longest real names a directory listing can carry: municipalities from the committed Japan
Post data (`furusato/domain/data/municipalities.tsv`), written in full with their prefecture and
county (和歌山県東牟婁郡那智勝浦町), longest in UTF-8 first."""

from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).resolve().parents[2] / "layers/core/python/furusato/domain/data/municipalities.tsv"


def longest_names(n: int) -> list[tuple[str, str]]:
    """(lg_code, full name) of the `n` municipalities with the longest names."""
    names: list[tuple[str, str]] = []
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        code, prefecture, municipality = line.split("\t")
        if municipality:
            names.append((code, prefecture + municipality))
    names.sort(key=lambda entry: (-len(entry[1].encode()), entry[0]))
    return names[:n]
