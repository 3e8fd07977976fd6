"""Draws the milestone badge images (build time): small PNGs made with the standard
library, written to ``app/static/badges`` (``app.services.milestone_badges`` names them at
run time).

A badge is a coloured disc (one colour per milestone type, dark enough for white text at
a contrast above 4.5:1) with the threshold in a 5x7 pixel font and a short type word
under it. The PNGs are committed; regenerate them after changing the default catalogue::

    python -m app.tools.badges

``tests/test_milestones_badges.py`` checks the committed files are exactly what this
module draws, so the two cannot drift apart.
"""

from __future__ import annotations

import struct
import zlib

from app.services.milestone_badges import BADGE_DIR, GENERIC
from app.services.milestone_catalogue import DEFAULT_CATALOGUE

SIZE = 96

# fill, ring, word under the number (per milestone type)
STYLES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], str]] = {
    "hours_logged": ((0x8A, 0x5A, 0x00), (0xE8, 0xB8, 0x4A), "HRS"),
    "contacts_helped": ((0x1F, 0x5A, 0x96), (0x8C, 0xBF, 0xEF), "PPL"),
    "activities_logged": ((0x1E, 0x6B, 0x3F), (0x8F, 0xD6, 0xA9), "ACT"),
}

_FONT = {
    "0": "01110 10001 10011 10101 11001 10001 01110",
    "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111",
    "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010",
    "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110",
    "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110",
    "9": "01110 10001 10001 01111 00001 00010 01100",
    "A": "01110 10001 10001 11111 10001 10001 10001",
    "C": "01110 10001 10000 10000 10000 10001 01110",
    "H": "10001 10001 10001 11111 10001 10001 10001",
    "L": "10000 10000 10000 10000 10000 10000 11111",
    "P": "11110 10001 10001 11110 10000 10000 10000",
    "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110",
    "T": "11111 00100 00100 00100 00100 00100 00100",
}

Pixels = list[list[tuple[int, int, int, int]]]


def png(pixels: Pixels) -> bytes:
    """Encode RGBA rows as a PNG (no filtering, deflate level 9: deterministic bytes)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _text(pixels: Pixels, text: str, top: int, scale: int) -> None:
    width = (len(text) * 6 - 1) * scale
    left = (SIZE - width) // 2
    for i, char in enumerate(text):
        for row, bits in enumerate(_FONT[char].split()):
            for col, bit in enumerate(bits):
                if bit == "1":
                    x0, y0 = left + (i * 6 + col) * scale, top + row * scale
                    for y in range(y0, y0 + scale):
                        for x in range(x0, x0 + scale):
                            pixels[y][x] = (255, 255, 255, 255)


def draw(milestone_type: str, threshold: int | None) -> bytes:
    """The badge of ``threshold`` (``None``: the type's generic badge)."""
    fill, ring, word = STYLES[milestone_type]
    centre, radius = (SIZE - 1) / 2, SIZE / 2 - 2
    pixels: Pixels = []
    for y in range(SIZE):
        row = []
        for x in range(SIZE):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            if distance > radius:
                row.append((0, 0, 0, 0))
            elif distance > radius - 5:
                row.append((*ring, 255))
            else:
                row.append((*fill, 255))
        pixels.append(row)
    if threshold is None:
        _text(pixels, word, (SIZE - 7 * 3) // 2, 3)
    else:
        number = str(threshold)
        scale = next(s for s in (4, 3, 2, 1) if (len(number) * 6 - 1) * s <= 60)
        height = 7 * scale + 6 + 14
        top = (SIZE - height) // 2
        _text(pixels, number, top, scale)
        _text(pixels, word, top + 7 * scale + 6, 2)
    return png(pixels)


def expected_files() -> dict[str, bytes]:
    """Every badge file the default catalogue needs, by name."""
    out = {name: draw(kind, None) for kind, name in GENERIC.items()}
    for entry in DEFAULT_CATALOGUE:
        out[entry.badge] = draw(entry.type, entry.threshold)
    return out


def main() -> None:
    BADGE_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in expected_files().items():
        (BADGE_DIR / f"{name}.png").write_bytes(data)


if __name__ == "__main__":
    main()
