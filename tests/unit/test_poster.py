"""QR posters: the PNG and PDF carry the code module for module and the Japanese text drawn in
Noto Sans CJK JP; the SVG carries the text for the printer's fonts."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from furusato.clock import JST
from furusato.qr import poster
from furusato.qr.poster import PNG_SIZE, PosterText, qr_matrix, raster_poster, svg_poster, when_ja

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


def _assert_carries_the_code(image: Image.Image) -> None:
    """Find the first finder pattern and read every module back."""
    gray = image.convert("L")
    width, height = gray.size
    pixels = gray.load()
    assert pixels is not None

    def dark(x: int, y: int) -> bool:
        return int(pixels[x, y]) < 128  # type: ignore[arg-type]

    def first_run(y: int) -> tuple[int, int]:
        for x in range(width):
            if dark(x, y):
                run = 0
                while x + run < width and dark(x + run, y):
                    run += 1
                return x, run
        return -1, 0

    top = next(y for y in range(height) if first_run(y)[1] > width // 20)
    left, run = first_run(top)
    scale = run / 7  # the finder pattern is 7 modules wide
    modules = qr_matrix(URL)
    border = 4
    origin_x, origin_y = left - border * scale, top - border * scale
    for r, line in enumerate(modules):
        for c, module in enumerate(line):
            x = int(origin_x + (c + 0.5) * scale)
            y = int(origin_y + (r + 0.5) * scale)
            assert dark(x, y) == module, (r, c)


def test_png_poster_is_a4_and_carries_the_code() -> None:
    image = Image.open(io.BytesIO(raster_poster(URL, TEXT, "png")))
    assert image.format == "PNG" and image.size == PNG_SIZE
    _assert_carries_the_code(image)


def test_pdf_poster_is_one_a4_page_with_the_code() -> None:
    data = raster_poster(URL, TEXT, "pdf")
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert box is not None
    width_pt, height_pt = float(box.group(1)), float(box.group(2))
    assert abs(width_pt - 595.3) < 1.5 and abs(height_pt - 841.9) < 1.5  # A4 in points
    length = re.search(rb"/Subtype\s*/Image.*?/Length\s+(\d+).*?stream\r?\n", data, re.S)
    assert length is not None
    start = length.end()
    image = Image.open(io.BytesIO(data[start : start + int(length.group(1))]))
    assert image.size == (1654, 2339)  # A4 at 200 dpi
    _assert_carries_the_code(image)


def _band(text: PosterText) -> bytes:
    """The pixels of the poster's text area, above the code."""
    image = poster._page(URL, text, poster.PNG_DPI)
    return image.crop((0, 0, image.width, 500)).tobytes()


@pytest.mark.parametrize("field", ["name", "place", "lg_name"])
def test_raster_posters_draw_the_japanese_text(field: str) -> None:
    """Each of name, place and government changes the drawn page, and every character of them
    has a real glyph in the font (not the empty box a missing glyph draws)."""
    other = PosterText(**{**TEXT.__dict__, field: "高山市 朝市"})
    assert _band(other) != _band(TEXT)
    font = poster._font(48)

    def drawn(char: str) -> bytes:
        return bytes(font.getmask(char))

    missing = drawn("\U000f0000")  # a private-use code point: no glyph
    for char in {*TEXT.name, *TEXT.place, *TEXT.lg_name} - {" "}:
        assert drawn(char) != missing, char


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


def test_no_other_function_imports_qrcode_or_openpyxl() -> None:
    code = (
        "import importlib.util, sys\n"
        "for name in ('checkin', 'registration', 'content'):\n"
        f"    path = {str(ROOT)!r} + f'/functions/{{name}}/handler.py'\n"
        "    spec = importlib.util.spec_from_file_location('h_' + name, path)\n"
        "    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "heavy = ('qrcode', 'openpyxl', 'PIL', 'noto_cjk_sans_jp_regular')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env_path = f"{ROOT}:{ROOT / 'layers/core/python'}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": env_path}
    )
    assert out.stdout.strip() == "[]"
