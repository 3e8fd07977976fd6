"""Badge images: the committed PNGs are what ``app.tools.badges`` draws (at build time),
and every badge the catalogue names exists (``app.services.milestone_badges``)."""

from __future__ import annotations

import struct
import zlib

from app.services.milestone_badges import BADGE_DIR, GENERIC, badge_exists
from app.services.milestone_catalogue import DEFAULT_CATALOGUE
from app.tools.badges import expected_files


def _decode(data: bytes) -> tuple[bytes, bytes]:
    """(IHDR, raw pixel rows) of a PNG, whatever deflate settings wrote it."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, header, idat = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return header, zlib.decompress(idat)


def test_committed_badges_are_the_generated_ones():
    expected = expected_files()
    committed = {path.stem for path in BADGE_DIR.glob("*.png")}
    assert committed == set(expected)
    for name, data in expected.items():
        header, pixels = _decode((BADGE_DIR / f"{name}.png").read_bytes())
        assert (header, pixels) == _decode(data), name
        width, height, depth, colour = struct.unpack(">IIBB", header[:10])
        assert (width, height, depth, colour) == (96, 96, 8, 6)


def test_every_default_definition_has_its_badge():
    for entry in DEFAULT_CATALOGUE:
        assert badge_exists(entry.badge), entry
    for name in GENERIC.values():
        assert badge_exists(name)
    assert not badge_exists("../badges/100h")
    assert not badge_exists("100H")
    assert not badge_exists("missing")
