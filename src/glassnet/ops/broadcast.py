"""The one place where broadcasting is undone (HIPS autograd's ``unbroadcast``)."""
from __future__ import annotations

import numpy as np


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    A forward ``a + b`` with ``a`` of shape (3,) and ``b`` of shape (2, 3) gives a
    (2, 3) output; ``a``'s gradient is the output gradient summed over axis 0.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1)).tolist()
    [[3.0], [3.0]]
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    stretched = tuple([i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1])
    if stretched:
        grad = np.add.reduce(grad, axis=stretched, keepdims=True)
    return grad.reshape(shape)
