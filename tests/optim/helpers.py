"""Shared helpers for the optimizer tests: one small MLP written twice, in glassnet and in torch.

The MLP is 3-5-2 with tanh and an MSE loss, on leaf tensors (no glassnet.nn), so that these
tests depend only on the engine.  Both copies start from identical float32 weights.
"""
import numpy as np

import glassnet

SHAPES = [(3, 5), (5,), (5, 2), (2,)]  # W1, b1, W2, b2 (x @ W1 + b1, then tanh, then @ W2 + b2)


def initial_arrays(seed=0, shapes=SHAPES, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=s).astype(dtype) for s in shapes]


def data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 2)).astype(np.float32)


def leaf_params(lib, arrays):
    """Leaf tensors of ``lib`` (glassnet or torch) holding copies of ``arrays``."""
    return [lib.tensor(np.array(a), requires_grad=True) for a in arrays]


def mlp_loss(lib, params, x, t):
    w1, b1, w2, b2 = params
    y = lib.tanh(x @ w1 + b1) @ w2 + b2
    return ((y - t) ** 2).mean()


def run(lib, params, opt, steps, maximize=False):
    """``steps`` training steps of the MLP.  With ``maximize`` the objective is -MSE, so that
    maximizing it still fits the data (ascending the raw MSE is chaotic: tiny rounding
    differences grow without bound)."""
    x, t = (lib.tensor(a) for a in data())
    sign = -1 if maximize else 1
    for _ in range(steps):
        opt.zero_grad()
        (sign * mlp_loss(lib, params, x, t)).backward()
        opt.step()


def make_groups(params, groups):
    """``groups`` is None (one list) or a list of dicts whose "params" are indices into ``params``."""
    if groups is None:
        return list(params)
    return [{**g, "params": [params[i] for i in g["params"]]} for g in groups]


def train(lib, opt_name, kwargs, groups=None, steps=50, arrays=None):
    """Train the MLP for ``steps`` steps with ``lib.optim.<opt_name>``; return (params, optimizer)."""
    params = leaf_params(lib, initial_arrays() if arrays is None else arrays)
    opt = getattr(lib.optim, opt_name)(make_groups(params, groups), **kwargs)
    run(lib, params, opt, steps, maximize=kwargs.get("maximize", False))
    return params, opt


def to_numpy(t):
    """A glassnet or torch tensor (or a plain value) as a NumPy array."""
    if isinstance(t, glassnet.Tensor):
        return np.asarray(t.array)
    if hasattr(t, "detach"):
        return t.detach().numpy()
    return np.asarray(t)
