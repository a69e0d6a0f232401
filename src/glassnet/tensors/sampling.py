"""Random sampling with torch's names: ``normal``, ``bernoulli``, ``multinomial``, the
``rand*_like`` family, ``randint``.

Every draw comes from a ``glassnet.Generator`` (``generator=``, else the default one seeded by
``glassnet.manual_seed``).  This is glassnet's own stream (NumPy's PCG64): the same seed gives the
same numbers run after run, but *not* the numbers torch draws for that seed.  To compare with torch,
copy tensors across instead of sharing a seed.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import dtypes
from .creation import _make
from ..random import default_generator
from .arguments import _shape_arg
from .tensor import Tensor, _wrap

__all__ = ["normal", "bernoulli", "multinomial", "rand_like", "randn_like", "randint_like", "poisson"]


def _gen(generator):
    return generator if generator is not None else default_generator


def _float_dtype(t: Tensor, dtype):
    d = dtypes.as_dtype(dtype) if dtype is not None else t.dtype
    return d if d.np.kind == "f" else dtypes.float32


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """Samples from N(mean, std²): ``normal(mean_tensor, std_tensor)`` element-wise (shapes
    broadcast), ``normal(mean, std_tensor)``, ``normal(mean_tensor, std=1.0)``, or
    ``normal(mean, std, size)`` with two numbers.

    Raises
    ------
    RuntimeError
        If a ``std`` is negative (torch's "normal expects std >= 0.0").
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects all elements of std >= 0.0 (got {np.min(s)})")
    gen = _gen(generator)
    if tensors:
        if size is not None:
            raise TypeError("normal(): size= is only for a number mean and std; with a tensor mean "
                            "or std the result takes their (broadcast) shape")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        kind = np.result_type(*[t.array.dtype for t in tensors])
        if kind.kind != "f":
            raise RuntimeError("normal expects floating-point mean and std tensors")
        return _make(gen.normal(m, s, shape), dtype or dtypes.from_numpy_dtype(kind), requires_grad, device)
    if size is None:
        raise TypeError("normal(): with a number mean and std, give the size, e.g. "
                        "normal(0.0, 1.0, size=(3, 4))")
    return _make(gen.normal(m, s, _shape_arg((size,))), dtype, requires_grad, device)


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, element-wise; the result has input's dtype."""
    prob = input.array if p is None else np.broadcast_to(p, np.shape(input.array))
    if np.any((prob < 0) | (prob > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (bernoulli "
                           "takes probabilities in [0, 1])")
    draws = _gen(generator).rng.random(np.shape(input.array)) < prob
    return _wrap(draws.astype(input.array.dtype))


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates ``input``, element-wise."""
    return _wrap(_gen(generator).rng.poisson(input.array).astype(input.array.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Draw ``num_samples`` category indices per row of non-negative weights ``input`` (1-D: one
    distribution, 2-D: one per row).  Weights need not sum to 1.  Returns int64 of shape
    (num_samples,) or (rows, num_samples).

    Without replacement, each index appears at most once per row; once the categories of
    non-zero weight are used up, those of weight zero follow (as in torch).
    """
    w = np.asarray(input.array, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got a {w.ndim}-D tensor")
    if not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got num_samples={num_samples})")
    n = w.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} > {n}); pass replacement=True")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, n)
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _gen(generator).rng
    if replacement:
        picks = [rng.choice(n, size=num_samples, replace=True, p=row / total)
                 for row, total in zip(rows, totals)]
    else:  # as torch does: the k largest of p / E with E ~ Exp(1) (categories of weight 0 come last)
        keys = rows / rng.exponential(size=rows.shape)
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    result = np.array(picks, dtype=np.int64)
    return _wrap(result if w.ndim == 2 else result[0])


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None) -> Tensor:
    """Uniform samples in [0, 1) with ``input``'s shape (and float dtype)."""
    return _make(_gen(generator).uniform(0.0, 1.0, tuple(input.shape)), _float_dtype(input, dtype),
                 requires_grad, device)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None) -> Tensor:
    """Standard normal samples with ``input``'s shape (and float dtype)."""
    return _make(_gen(generator).normal(0.0, 1.0, tuple(input.shape)), _float_dtype(input, dtype),
                 requires_grad, device)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None) -> Tensor:
    """Integers uniform in [low, high) with ``input``'s shape and dtype: ``randint_like(x, 10)``
    or ``randint_like(x, 3, 10)``."""
    if high is None:
        low, high = 0, low
    values = _gen(generator).rng.integers(low, high, size=tuple(input.shape))
    return _make(values, dtype or input.dtype, requires_grad, device)
