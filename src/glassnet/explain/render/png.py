"""A heatmap as a PNG, written with NumPy and zlib only (no matplotlib: the HTML page of a
recording draws its attention maps in milliseconds; ``glassnet.viz.attention_maps`` draws the
same maps as a matplotlib figure).  Colours: viridis (dark is small) on a shared scale from 0 to
``top``; masked entries hatched grey."""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

#: viridis at 0, ¼, ½, ¾, 1, interpolated linearly in between.
_VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], float)
_GREY, _HATCH = 224, 150


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def heatmap_png(values, masked, top: float = 1.0, cell: int = 6) -> bytes:
    """``values`` (rows, cols) as RGB, ``cell`` × ``cell`` pixels per entry."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64) / (top or 1.0)), 0.0, 1.0)
    pos = v * (len(_VIRIDIS) - 1)
    lo = np.minimum(pos.astype(int), len(_VIRIDIS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac                  # (rows, cols, 3)
    img = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)
    m = np.repeat(np.repeat(np.asarray(masked, bool), cell, axis=0), cell, axis=1)
    yy, xx = np.indices(m.shape)
    img[m] = _GREY
    img[m & ((xx + yy) % 4 == 0)] = _HATCH                                    # hatching: ////
    img = img.astype(np.uint8)
    h, w = img.shape[:2]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * 3)], axis=1).tobytes()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
