"""The compact binary frame: what a session streams to its page many times a second.

A frame is one binary WebSocket message (every other message is JSON text)::

    b"GNF1"  magic and version
    uint32   length H of the header, little-endian
    H bytes  the header: UTF-8 JSON {"type": "frame", rev, step, epoch, train_loss, test_loss,
             playing, ack, steps_per_s, sizes, has_g, has_u, nf, grid, ngrid, nonfinite}
    0-3      spaces, so the floats start on a multiple of 4
    nf x 4   float32, little-endian: for each layer, weight (out x in, row-major) and bias,
             then, if has_g, the last gradients of both, then, if has_u, the last updates
    bytes    uint8 heat maps: the output (grid x grid), then every hidden neuron, layer by
             layer (ngrid x ngrid each); row 0 is the top of the plot

A heat-map byte is 0 for NaN or infinity and ``1 + round((v + 1) * 127)`` for a value v clipped
to [-1, 1]: 1 is -1, 128 is 0, 255 is +1.  The default network's frame is about 10 KB.

The Images and Text pages' frames have no heat maps: their header lists their float32 arrays
(``arrays``: [[name, shape], ...], read by :func:`decode_arrays`).  A Text frame leaves out an
array the page already has (the attention maps change only with a new explain recording): its
header's ``kept`` names the arrays the page keeps from the frame before (:class:`Versions`).

:func:`encode` writes one; :func:`decode` reads one back (tests, benchmarks, scripts).
"""
from __future__ import annotations

import itertools
import json
import struct

import numpy as np

MAGIC = b"GNF1"
NAN_BYTE = 0


def to_bytes(values) -> np.ndarray:
    """Values -> uint8 (0: not finite; 1..255: -1..+1, clipped; 128 is 0)."""
    v = np.asarray(values, dtype=np.float32)
    bad = ~np.isfinite(v)
    out = np.rint((np.clip(np.where(bad, np.float32(0.0), v), -1.0, 1.0) + 1.0) * 127.0).astype(np.uint8) + 1
    out[bad] = NAN_BYTE
    return out


def downsample(maps: np.ndarray, grid: int, factor: int) -> np.ndarray:
    """(grid*grid, k) values on the grid -> (k, (grid/factor)^2), each the mean of a block."""
    k = maps.shape[1]
    g = grid // factor
    blocks = np.ascontiguousarray(maps.T).reshape(k, g, factor, g, factor)
    total = sum(blocks[:, :, i, :, j] for i in range(factor) for j in range(factor))
    return (total / np.float32(factor * factor)).reshape(k, g * g)


def encode(header: dict, floats: list, maps: list) -> bytes:
    """One frame: ``header`` (JSON-able), float arrays and uint8 heat maps, in the order above."""
    flat = [np.asarray(a, dtype="<f4").ravel() for a in floats]
    header = dict(header, nf=int(sum(a.size for a in flat)))
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    pad = b" " * ((-(8 + len(head))) % 4)
    return b"".join([MAGIC, struct.pack("<I", len(head)), head, pad, *(a.tobytes() for a in flat),
                     *(np.asarray(m, dtype=np.uint8).tobytes() for m in maps)])


def _header(blob: bytes):
    """(the header of a frame, the offset of its floats)."""
    if blob[:4] != MAGIC:
        raise ValueError("not a glassnet playground frame (no GNF1 magic)")
    (hlen,) = struct.unpack_from("<I", blob, 4)
    return json.loads(blob[8:8 + hlen].decode("utf-8")), 8 + hlen + (-(8 + hlen)) % 4


def decode(blob: bytes) -> dict:
    """A frame as a dict: the header's fields, ``layers`` [{w, b, gw, gb, uw, ub}] (NumPy float32)
    and ``maps`` {output: (grid, grid) uint8, neurons: [[(ngrid, ngrid) uint8]]}."""
    head, off = _header(blob)
    floats = np.frombuffer(blob, dtype="<f4", count=head["nf"], offset=off)
    off += 4 * head["nf"]
    sizes = head["sizes"]
    shapes = [((sizes[i + 1], sizes[i]), (sizes[i + 1],)) for i in range(len(sizes) - 1)]
    layers = [{} for _ in shapes]
    p = 0
    for prefix, present in (("", True), ("g", head["has_g"]), ("u", head["has_u"])):
        if not present:
            continue
        for entry, (ws, bs) in zip(layers, shapes):
            n = ws[0] * ws[1]
            entry[prefix + "w"] = floats[p:p + n].reshape(ws)
            entry[prefix + "b"] = floats[p + n:p + n + bs[0]]
            p += n + bs[0]
    g, ng = head["grid"], head["ngrid"]
    raw = np.frombuffer(blob, dtype=np.uint8, offset=off)
    maps = {"output": raw[:g * g].reshape(g, g), "neurons": []}
    q = g * g
    for size in sizes[1:-1]:
        maps["neurons"].append([raw[q + j * ng * ng:q + (j + 1) * ng * ng].reshape(ng, ng) for j in range(size)])
        q += size * ng * ng
    if q != len(raw):
        raise ValueError(f"frame has {len(raw)} map bytes; its header says {q}")
    return dict(head, layers=layers, maps=maps)


def decode_arrays(blob: bytes) -> dict:
    """A frame whose header lists its float32 arrays (``arrays``: [[name, shape], ...], as the
    Images page's frames do) as a dict: the header's fields and ``data`` {name: array}."""
    head, off = _header(blob)
    floats = np.frombuffer(blob, dtype="<f4", count=head["nf"], offset=off)
    data, p = {}, 0
    for name, shape in head["arrays"]:
        n = int(np.prod(shape))
        data[name] = floats[p:p + n].reshape(shape)
        p += n
    if p != head["nf"]:
        raise ValueError(f"frame has {head['nf']} floats; its arrays take {p}")
    return dict(head, data=data)


class Versions:
    """Version numbers of the arrays a session's frames carry: an array keeps its number while its
    content stays the same (the same object, or equal values), and gets a new one when it changes
    or comes back after a frame without it.  Numbers only grow, so a frame may leave out an array
    whose number is the one the page got last (see ``Session.take``), even if a frame in between
    was replaced before it was sent."""

    def __init__(self):
        self._last: dict = {}                  # name -> (version, array)
        self._numbers = itertools.count(1)

    def stamp(self, arrays: dict) -> dict:
        """{name: version} of ``arrays`` ({name: array}, every array of this frame)."""
        out = {}
        for name, a in arrays.items():
            last = self._last.get(name)
            if last is None or not (last[1] is a or (np.shape(last[1]) == np.shape(a) and np.array_equal(last[1], a))):
                last = self._last[name] = (next(self._numbers), a)
            out[name] = last[0]
        for name in [n for n in self._last if n not in arrays]:
            del self._last[name]
        return out


def split_kept(arrays: dict, versions: dict, page_has: dict) -> tuple:
    """([(name, array) to send], [names the page keeps]): an array whose version the page already
    has is kept, not sent again."""
    kept = [name for name in arrays if page_has.get(name) == versions[name]]
    return [(name, a) for name, a in arrays.items() if name not in kept], kept


def with_kept(frame: dict, previous: dict | None) -> dict:
    """A frame read by :func:`decode_arrays` with the arrays it kept (its header's ``kept``) taken
    from ``previous`` (the frame before, read this way), as the page does."""
    data = {name: previous["data"][name] for name in frame.get("kept", ())
            if previous is not None and name in previous["data"]}
    data.update(frame["data"])
    return dict(frame, data=data)
