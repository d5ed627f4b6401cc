"""A4 check-in posters for static QR codes: SVG (with the Japanese text) and PNG.

`qrcode` is imported inside the functions: only the check-in function renders posters, and no
other function pays for the import. The SVG poster writes the activity's name, date and place as
text, drawn by the viewer's or printer's Japanese fonts. The PNG is drawn here without any font
file (none is available at Lambda runtime): the code, the date and time and the activity id as
ASCII; the name and place appear on it only when they are ASCII. See docs/checkin.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from furusato.clock import JST
from furusato.qr import font
from furusato.qr.png import Canvas, fit_scale

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
A4_MM = (210, 297)
PNG_DPI = 150
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


def when_ascii(starts_at: datetime, ends_at: datetime) -> str:
    s, e = starts_at.astimezone(JST), ends_at.astimezone(JST)
    start = f"{s:%Y-%m-%d} ({_WEEKDAYS_EN[s.weekday()]}) {s:%H:%M}"
    if s.date() == e.date():
        return f"{start}-{e:%H:%M} JST"
    return f"{start} - {e:%m-%d} {e:%H:%M} JST"


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


def png_poster(url: str, text: PosterText) -> bytes:
    width, height = PNG_SIZE
    canvas = Canvas(width, height, dpi=PNG_DPI)
    margin = 90
    y = 90
    title = font.printable("FURUSATO CHECK-IN")
    canvas.text_centered(title, y, fit_scale(title, width - 2 * margin, 9))
    y += 7 * 9 + 40
    lines = []
    if text.name and font.is_drawable(text.name):
        lines.append(font.printable(text.name))
    lines.append(when_ascii(text.starts_at, text.ends_at))
    if text.place and font.is_drawable(text.place):
        lines.append(font.printable(text.place))
    for line in lines:
        scale = fit_scale(line, width - 2 * margin, 6)
        canvas.text_centered(line, y, scale)
        y += 7 * scale + 24
    modules = qr_matrix(url)
    bottom_text = 180
    scale = max(1, min((width - 2 * margin) // len(modules), (height - y - bottom_text) // len(modules)))
    size = scale * len(modules)
    canvas.matrix(modules, (width - size) // 2, y, scale)
    y += size + 30
    hint = "SCAN WITH THE FURUSATO APP"
    canvas.text_centered(hint, y, fit_scale(hint, width - 2 * margin, 5))
    footer = font.printable(text.activity_id)
    canvas.text_centered(footer, height - 80, fit_scale(footer, width - 2 * margin, 3))
    return canvas.to_png()
