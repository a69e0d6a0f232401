"""Which input values one output value of a convolutional network reads: its receptive field.

``receptive_field(rec, "conv2", (n, o, y, x))`` starts from one entry of a layer's output and
walks the recorded forward ops back to the network's input, carrying a boolean mask of the
entries read: a convolution's entry reads, for every input channel of its group, the taps
y·s + k·δ − p that fall inside the input; a max or average pooling's entry reads its window; an
element-wise op (ReLU, …) and a reshape read the entries where they are.  The mask is exact
(stride, padding, dilation and groups included; with dilation it has holes), and says which
values *can* change the output — the gradient may still be zero where a ReLU is off or another
input won a max pooling window (the backward path, see ``derivation.pool_winners``).

Cost: one loop over each layer's kernel offsets, each a strided NumPy OR over the mask.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .local import ELEMENTWISE, conv_geometry
from .records import Ref


@dataclass
class ReceptiveField:
    """The input entries one output entry reads: ``mask`` over the input's shape."""

    layer: str
    index: tuple
    input: str                  # the input's symbol (``x``)
    mask: np.ndarray            # bool, the input's shape
    path: list                  # the ops walked, output side first

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.mask))

    def box(self) -> tuple:
        """Per axis of the input, the (first, last) index read."""
        where = np.nonzero(self.mask)
        return tuple((int(a.min()), int(a.max())) for a in where) if where[0].size else ()

    def __str__(self) -> str:
        if not self.count:
            return f"{self.layer}[{', '.join(map(str, self.index))}] reads no entry of {self.input}"
        box = self.box()
        span = ", ".join(f"{a}:{b + 1}" for a, b in box)
        names = ["channels", "rows", "columns"] if len(box) == 4 else [f"axis {d}" for d in range(1, len(box))]
        dims = " × ".join(f"{b - a + 1} {w}" for (a, b), w in zip(box[1:], names))
        full = int(np.prod([b - a + 1 for a, b in box]))
        holes = "" if full == self.count else f" ({full - self.count} inside the box are skipped: dilation or stride)"
        return (f"{self.layer}[{', '.join(map(str, self.index))}] reads {self.count} entries of "
                f"{self.input}, within {self.input}[{span}] ({dims})"
                f"{holes}; through {' ← '.join(self.path)}")


def _find(rec, layer: str):
    """The last forward op a module (path) ran, or the op labelled/named ``layer``."""
    ops = [op for op in rec.forward_ops if op.module == layer]
    if ops:
        return ops[-1]
    ops = [op for op in rec.forward_ops if layer in (op.label, op.name)]
    if not ops:
        raise KeyError(f"no layer or op {layer!r} in the recording; layers: "
                       f"{sorted({op.module for op in rec.forward_ops if op.module})}")
    return ops[-1]


def _window_back(mask_out, in_shape, kernel, stride, pads, dilation):
    """Spatial OR-scatter of an (…, *Out) mask into (…, *In): each output entry marks the inputs
    y·s + k·δ − p of every kernel offset k (outside the input: padding, dropped)."""
    nd = len(kernel)
    lead = mask_out.shape[:-nd]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(in_shape[-nd:], pads))
    out = mask_out.shape[-nd:]
    need = tuple(max(p, (o - 1) * s + (k - 1) * d + 1) for p, o, s, k, d in zip(padded, out, stride, kernel, dilation))
    buf = np.zeros(lead + need, dtype=bool)
    for k in np.ndindex(*kernel):
        where = tuple(slice(ki * d, ki * d + (o - 1) * s + 1, s)
                      for ki, d, s, o in zip(k, dilation, stride, out))
        buf[(Ellipsis,) + where] |= mask_out
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(in_shape[-nd:], pads))
    return buf[(Ellipsis,) + crop]


def _back(op, mask):
    """The mask over op's input 0 read by the entries of its output in ``mask``, or None."""
    x_shape = np.shape(op.input_values[0])
    if op.op == "ConvNd":
        geo = conv_geometry(op)
        g, cout, cin = geo["groups"], op.shape[1], x_shape[1]
        out = np.zeros(x_shape, dtype=bool)
        for j in range(g):
            any_o = mask[:, j * (cout // g):(j + 1) * (cout // g)].any(axis=1)        # (N, *Out)
            spatial = _window_back(any_o, x_shape, geo["kernel"], geo["stride"], geo["pads"],
                                   geo["dilation"])
            out[:, j * (cin // g):(j + 1) * (cin // g)] = spatial[:, None]
        return out
    if op.op == "MaxPool" and op.attrs.get("window"):
        kernel, stride, padding, dilation = op.attrs["window"]
        return _window_back(mask, x_shape, kernel, stride, [(p, p) for p in padding], dilation)
    if op.op in ELEMENTWISE and tuple(x_shape) == op.shape:
        return mask
    if op.op == "Reshape":
        return mask.reshape(x_shape)
    return None


def receptive_field(rec, layer: str, index) -> ReceptiveField:
    """The entries of the network's input that output entry ``index`` of ``layer`` (a module's
    path, e.g. ``"conv2"``, or an op's label or symbol) reads; see the module docstring."""
    op = _find(rec, layer)
    index = tuple(int(i) for i in index)
    if len(index) != len(op.shape) or any(not 0 <= i < s for i, s in zip(index, op.shape)):
        raise IndexError(f"{layer}'s output has shape {op.shape}; give an index like "
                         f"({', '.join('0' for _ in op.shape)})")
    mask = np.zeros(op.shape, dtype=bool)
    mask[index] = True
    path = []
    while True:
        path.append(op.label or op.op)
        back = _back(op, mask)
        if back is None:
            raise NotImplementedError(f"receptive field: no rule for {op.op} ({op.label}); it "
                                      f"covers convolutions, max pooling, element-wise ops and reshapes")
        ref = op.inputs[0]
        mask = back
        if ref.kind != "op":
            return ReceptiveField(layer, index, rec.symbol(ref), mask, path)
        op = rec.ops[ref.key]
