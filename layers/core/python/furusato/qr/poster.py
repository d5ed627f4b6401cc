"""A4 check-in posters for static QR codes: PDF, PNG and SVG, each with the Japanese text.

Heavy modules (`qrcode`, Pillow and the Noto Sans CJK JP font, about 16 MB) are imported inside
the functions: only the check-in function renders posters, and no other function pays for them
at cold start. The PDF and PNG are one page drawn with Pillow in Noto Sans CJK JP (SIL Open Font
License, shipped in the dependency layer); the SVG writes the text for the viewer's or printer's
Japanese fonts. See docs/checkin.md.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape

from furusato.clock import JST

if TYPE_CHECKING:
    from PIL import Image, ImageFont

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
A4_MM = (210, 297)
PNG_DPI = 150
PDF_DPI = 200
PNG_SIZE = (1240, 1754)  # A4 at 150 dpi
HINT_JA = "ふるさと住民アプリで読み取ってください"
HINT_EN = "Scan with the Furusato app to check in"


@dataclass(frozen=True)
class PosterText:
    name: str
    starts_at: datetime
    ends_at: datetime
    place: str
    lg_name: str
    activity_id: str


def when_ja(starts_at: datetime, ends_at: datetime) -> str:
    s, e = starts_at.astimezone(JST), ends_at.astimezone(JST)
    start = f"{s.year}年{s.month}月{s.day}日({_WEEKDAYS_JA[s.weekday()]}) {s:%H:%M}"
    if s.date() == e.date():
        return f"{start}〜{e:%H:%M}"
    return f"{start} 〜 {e.month}月{e.day}日({_WEEKDAYS_JA[e.weekday()]}) {e:%H:%M}"


def qr_matrix(data: str) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _qr_svg(data: str) -> tuple[str, str]:
    """The code as an SVG path (qrcode.image.svg): its viewBox and its inner elements."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(data, image_factory=SvgPathImage, error_correction=ERROR_CORRECT_M, border=4)
    text = image.to_string(encoding="unicode")
    text = text.decode() if isinstance(text, bytes) else text
    view_box = re.search(r'viewBox="([^"]+)"', text)
    inner = text[text.index(">") + 1 : text.rindex("</svg>")]
    return (view_box.group(1) if view_box else "0 0 1 1"), inner


def _wrap(text: str, width: int) -> list[str]:
    """Split into lines of at most `width` full-width characters (ASCII counts half)."""
    lines: list[str] = []
    current, used = "", 0.0
    for char in text:
        cost = 0.5 if char.isascii() else 1.0
        if used + cost > width and current:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += cost
    if current:
        lines.append(current)
    return lines[:3]


def svg_poster(url: str, text: PosterText) -> bytes:
    view_box, qr_inner = _qr_svg(url)
    width, height = A4_MM
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        "<g font-family=\"'Noto Sans JP', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', Meiryo, sans-serif\" "
        'fill="#000" text-anchor="middle">',
        f'<text x="105" y="22" font-size="9" font-weight="bold">{escape(text.lg_name)} '
        "活動チェックイン</text>",
    ]
    y = 40.0
    for line in _wrap(text.name, 18):
        parts.append(f'<text x="105" y="{y:.1f}" font-size="11" font-weight="bold">{escape(line)}</text>')
        y += 13
    parts.append(
        f'<text x="105" y="{y + 2:.1f}" font-size="7">{escape(when_ja(text.starts_at, text.ends_at))}</text>'
    )
    y += 11
    for line in _wrap(f"場所: {text.place}", 30):
        parts.append(f'<text x="105" y="{y + 2:.1f}" font-size="6">{escape(line)}</text>')
        y += 8
    size = min(150.0, 262.0 - y)
    top = y + 4
    parts.append(
        f'<svg x="{(width - size) / 2:.1f}" y="{top:.1f}" width="{size:.1f}" height="{size:.1f}" '
        f'viewBox="{view_box}">{qr_inner}</svg>'
    )
    parts += [
        f'<text x="105" y="{top + size + 10:.1f}" font-size="6">{HINT_JA}</text>',
        f'<text x="105" y="{top + size + 17:.1f}" font-size="4.5">{HINT_EN}</text>',
        f'<text x="105" y="290" font-size="3">{escape(text.activity_id)}</text>',
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts).encode()


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    from noto_cjk_sans_jp_regular import FONT_PATH
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_PATH), size)


def _page(url: str, text: PosterText, dpi: int) -> Image.Image:
    """One A4 page at `dpi`: government, name, date, place, the code and the hint, centred."""
    from PIL import Image, ImageDraw

    def px(mm: float) -> int:
        return round(mm * dpi / 25.4)

    width, height = px(A4_MM[0]), px(A4_MM[1])
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)

    def line(content: str, y: float, size_mm: float) -> None:
        draw.text((width / 2, px(y)), content, fill=0, font=_font(px(size_mm)), anchor="ms")

    # The same layout as the SVG poster (millimetres, baselines).
    line(f"{text.lg_name} 活動チェックイン", 22, 9)
    y = 40.0
    for name_line in _wrap(text.name, 18):
        line(name_line, y, 11)
        y += 13
    line(when_ja(text.starts_at, text.ends_at), y + 2, 7)
    y += 11
    for place_line in _wrap(f"場所: {text.place}", 30):
        line(place_line, y + 2, 6)
        y += 8
    size_mm = min(150.0, 262.0 - y)
    top_mm = y + 4
    modules = qr_matrix(url)
    scale = max(1, px(size_mm) // len(modules))
    side = scale * len(modules)
    left, top = (width - side) // 2, px(top_mm)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                x0, y0 = left + c * scale, top + r * scale
                draw.rectangle((x0, y0, x0 + scale - 1, y0 + scale - 1), fill=0)
    below = top_mm + side * 25.4 / dpi
    line(HINT_JA, below + 10, 6)
    line(HINT_EN, below + 17, 4.5)
    line(text.activity_id, 290, 3)
    return image


def raster_poster(url: str, text: PosterText, fmt: Literal["png", "pdf"]) -> bytes:
    """The poster as a PNG (150 dpi) or a one-page A4 PDF (200 dpi)."""
    out = io.BytesIO()
    if fmt == "png":
        _page(url, text, PNG_DPI).save(out, format="PNG", dpi=(PNG_DPI, PNG_DPI), optimize=True)
    else:
        _page(url, text, PDF_DPI).save(out, format="PDF", resolution=PDF_DPI, title=text.name)
    return out.getvalue()
