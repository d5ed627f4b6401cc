"""A minimal grayscale PNG canvas: filled rectangles, QR modules and 5x7 bitmap text.

Pure Python (zlib + struct): no Pillow, no font files, so it runs in the Lambda layer as is.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

from furusato.qr import font

WHITE = 255
BLACK = 0


class Canvas:
    def __init__(self, width: int, height: int, *, dpi: int = 150):
        self.width = width
        self.height = height
        self.dpi = dpi
        self.rows = [bytearray([WHITE]) * width for _ in range(height)]

    def fill(self, x: int, y: int, w: int, h: int, value: int = BLACK) -> None:
        x0, x1 = max(0, x), min(self.width, x + w)
        if x1 <= x0:
            return
        run = bytes([value]) * (x1 - x0)
        for row in range(max(0, y), min(self.height, y + h)):
            self.rows[row][x0:x1] = run

    def matrix(self, modules: Sequence[Sequence[bool]], x: int, y: int, scale: int) -> None:
        """Draw a QR matrix (True = dark) with `scale` pixels per module."""
        for r, line in enumerate(modules):
            top = y + r * scale
            if top >= self.height:
                break
            pattern = bytearray([WHITE]) * (len(line) * scale)
            for c, dark in enumerate(line):
                if dark:
                    pattern[c * scale : (c + 1) * scale] = bytes([BLACK]) * scale
            x0 = max(0, x)
            x1 = min(self.width, x + len(pattern))
            if x1 <= x0:
                continue
            segment = pattern[x0 - x : x1 - x]
            for row in range(top, min(self.height, top + scale)):
                self.rows[row][x0:x1] = segment

    def text(self, text: str, x: int, y: int, scale: int) -> None:
        for i, char in enumerate(text):
            left = x + i * (font.WIDTH + 1) * scale
            for r, line in enumerate(font.glyph(char)):
                for c, bit in enumerate(line):
                    if bit == "#":
                        self.fill(left + c * scale, y + r * scale, scale, scale)

    def text_centered(self, text: str, y: int, scale: int) -> None:
        width = text_width(text, scale)
        self.text(text, (self.width - width) // 2, y, scale)

    def to_png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        ppm = round(self.dpi / 0.0254)
        return b"".join(
            (
                b"\x89PNG\r\n\x1a\n",
                _chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 0, 0, 0, 0)),
                _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                _chunk(b"IDAT", zlib.compress(raw, 6)),
                _chunk(b"IEND", b""),
            )
        )


def text_width(text: str, scale: int) -> int:
    return max(0, len(text) * (font.WIDTH + 1) * scale - scale)


def fit_scale(text: str, max_width: int, preferred: int) -> int:
    scale = preferred
    while scale > 1 and text_width(text, scale) > max_width:
        scale -= 1
    return scale


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )
