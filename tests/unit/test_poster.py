"""QR posters: the PNG carries the code module for module, the SVG the Japanese text."""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime
from pathlib import Path

from furusato.clock import JST
from furusato.qr import font
from furusato.qr.poster import PNG_SIZE, PosterText, png_poster, qr_matrix, svg_poster, when_ascii, when_ja

ROOT = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:8000/checkin#1s.local1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB"
TEXT = PosterText(
    name="飛騨市 雪かき <ボランティア> & 交流",
    starts_at=datetime(2026, 5, 10, 10, 0, tzinfo=JST),
    ends_at=datetime(2026, 5, 10, 12, 0, tzinfo=JST),
    place="古川町公民館",
    lg_name="飛騨市",
    activity_id="act_01jc5x8k9z3h7q2m4n6p8r0tab",
)


def _decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 0)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    rows = [raw[r * (width + 1) + 1 : (r + 1) * (width + 1)] for r in range(height)]
    assert all(raw[r * (width + 1)] == 0 for r in range(height))
    return width, height, rows


def test_png_poster_is_a4_and_carries_the_code() -> None:
    width, height, rows = _decode_png(png_poster(URL, TEXT))
    assert (width, height) == PNG_SIZE
    modules = qr_matrix(URL)
    # The top edge of the first finder pattern: the first row with a dark run wider than text.
    border = 4

    def first_run(row: bytes) -> tuple[int, int]:
        left = row.index(0) if 0 in row else -1
        return left, (row[left:].index(255) if left >= 0 else 0)

    top = next(r for r in range(height) if first_run(rows[r])[1] > 60)
    left, run = first_run(rows[top])
    scale = run // 7  # the finder pattern is 7 modules wide
    origin_x, origin_y = left - border * scale, top - border * scale
    for r, line in enumerate(modules):
        for c, dark in enumerate(line):
            pixel = rows[origin_y + r * scale + scale // 2][origin_x + c * scale + scale // 2]
            assert (pixel == 0) == dark, (r, c)


def test_svg_poster_has_the_text_and_the_code() -> None:
    svg = svg_poster(URL, TEXT).decode()
    root = ET.fromstring(svg)  # well-formed: the name's < > & are escaped
    assert root.get("width") == "210mm" and root.get("height") == "297mm"
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "飛騨市 雪かき <ボランティア> & 交流" in texts.replace("\n", "")
    assert "2026年5月10日(日) 10:00〜12:00" in texts
    assert "古川町公民館" in texts
    paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
    assert paths and len(paths[0].get("d", "")) > 100


def test_dates() -> None:
    later = datetime(2026, 5, 11, 15, 0, tzinfo=JST)
    assert when_ja(TEXT.starts_at, later) == "2026年5月10日(日) 10:00 〜 5月11日(月) 15:00"
    assert when_ascii(TEXT.starts_at, TEXT.ends_at) == "2026-05-10 (SUN) 10:00-12:00 JST"


def test_font_covers_what_posters_print() -> None:
    assert font.is_drawable("2026-05-10 (SUN) 10:00-12:00 JST act_01jc5x8k9z3h7q2m4n6p8r0tab")
    assert not font.is_drawable("雪かき")
    assert font.printable("a雪") == "A?"
    assert all(len(font.glyph(c)) == font.HEIGHT for c in "AZ09-:")


def test_no_other_function_imports_qrcode_or_openpyxl() -> None:
    code = (
        "import importlib.util, sys\n"
        "for name in ('checkin', 'registration', 'content'):\n"
        f"    path = {str(ROOT)!r} + f'/functions/{{name}}/handler.py'\n"
        "    spec = importlib.util.spec_from_file_location('h_' + name, path)\n"
        "    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(sorted(m for m in ('qrcode', 'openpyxl', 'PIL') if m in sys.modules))\n"
    )
    env_path = f"{ROOT}:{ROOT / 'layers/core/python'}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": env_path}
    )
    assert out.stdout.strip() == "[]"
