"""The error for shapes that do not broadcast, in torch's words and with the fix: raised by
every op (the engine's ``apply``), comparisons, in-place ops and the loss target check."""
from __future__ import annotations

import numpy as np


def broadcast_message(shapes) -> str:
    """torch's words for shapes that do not broadcast (the first clash from the right, as torch
    finds it), with the rule and the usual fix."""
    ndim = max(len(s) for s in shapes)
    for dim in range(ndim - 1, -1, -1):
        sizes = [(i, s[dim - ndim + len(s)]) for i, s in enumerate(shapes) if dim - ndim + len(s) >= 0]
        big = [(i, n) for i, n in sizes if n != 1]
        if len({n for _, n in big}) > 1:
            (i, a), (j, b) = big[0], next(x for x in big if x[1] != big[0][1])
            names = "abcdefgh"
            return (f"The size of tensor {names[i]} ({a}) must match the size of tensor {names[j]} ({b}) "
                    f"at non-singleton dimension {dim}: shapes {tuple(shapes[i])} and {tuple(shapes[j])} "
                    f"do not broadcast (sizes are matched from the last dimension, and each pair must be "
                    f"equal or one of them 1). Reshape or unsqueeze one of them, e.g. x.unsqueeze(-1), "
                    f"or check which dimension you meant.")
    return f"shapes {', '.join(str(tuple(s)) for s in shapes)} do not broadcast"


def broadcast_shape(*shapes) -> tuple:
    """The shape ``shapes`` broadcast to, or torch's RuntimeError naming the first of them tensor
    a, the second b (``broadcast_message``)."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(broadcast_message(shapes)) from None
