"""``Tensor``'s data-movement and counting methods (mixed into ``glassnet.Tensor``): batched matrix
products (``bmm``, ``baddbmm``), ``repeat_interleave``, ``index_select``, ``scatter`` and
``scatter_add`` (and their in-place forms), ``roll``, ``flip``, ``contiguous``/``is_contiguous``,
and the histograms ``histc`` and ``histogram`` (counts: no gradient, as in torch).

Arguments are checked here with torch's rules and exception types; the primitives are in
``glassnet/ops/shape.py`` and ``linalg.py``.
"""
from __future__ import annotations

import builtins
import gc
import warnings
from collections import namedtuple

import numpy as np

from .arguments import _index_key
from ..autograd.engine import MUTATIONS, STATE, Node, TensorBase
from ..ops import linalg as L
from ..ops import shape as S

HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])

_TYPE_NAME = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
              "object": "Exact"}


def _dim(dim: int, n: int) -> int:
    m = max(n, 1)
    if not -m <= dim < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {dim})")
    return dim % m


def _type(t) -> str:
    return _TYPE_NAME.get(t.array.dtype.name, str(t.array.dtype))


def _same_dtype(a, b) -> None:
    if a.array.dtype != b.array.dtype:
        raise RuntimeError(f"expected scalar type {_type(a)} but found {_type(b)}")


def _strides(a) -> tuple:
    a = np.asarray(a)
    return tuple(s // a.itemsize for s in a.strides) if a.itemsize else (0,) * a.ndim


def view_strides(shape: tuple, strides: tuple, new: tuple):
    """torch's ``computeStride``: the strides of a view of ``new`` shape over memory laid out as
    ``shape``/``strides``, or ``None`` when some new dimension would span two non-contiguous
    chunks of the old one (then ``view`` raises and ``reshape`` copies)."""
    if not shape:
        return (1,) * len(new)
    if int(np.prod(shape)) == 0:
        return tuple(strides) if tuple(shape) == tuple(new) else (1,) * len(new)
    out = [0] * len(new)
    view_d = len(new) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * chunk_base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    return None if view_d != -1 else tuple(out)


def in_graph(self, *others) -> bool:
    """Whether an in-place write into ``self`` must be recorded: grad mode is on and ``self`` or a
    tensor written into it requires a gradient."""
    return STATE.grad_enabled and (self._requires_grad or builtins.any(
        isinstance(o, TensorBase) and o._requires_grad for o in others))


def write_in_graph(self, name: str, compute):
    """An in-place op on a tensor inside the graph (torch allows it on a non-leaf): ``self`` takes
    the history of ``compute(old)``, where ``old`` stands for ``self`` before the write.

    ``old`` holds the old value (the write is out of place underneath) and gets a new version
    before ``compute`` runs, so exactly the nodes recorded *earlier* that saved this tensor for
    their backward raise torch's version error; the nodes that used ``self`` before the write are
    pointed at ``old``, so their gradients still flow to the old history."""
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                           f"({name}). Wrap the update in `with glassnet.no_grad():`.")
    old = stand_in(self)
    MUTATIONS[0] += 1
    old._version = MUTATIONS[0]
    result = compute(old)
    if result.dtype != self.dtype:
        result = result.to(self.dtype)  # in place keeps the tensor's dtype, as in torch
    return _take_history(self, result, old)


def _write_back(self, name: str, compute, *others):
    """An in-place method: outside the graph, write ``compute(self)``'s values into this tensor;
    on a tensor inside the graph (or written from one: ``others``), record it (``write_in_graph``)."""
    if not in_graph(self, *others):
        return self._inplace(name, compute(self).array)
    return write_in_graph(self, name, compute)


def rebase(self, result, name: str):
    """Make ``self`` stand for ``result``, computed by one op from ``stand_in(self)`` (its first
    input): as ``write_in_graph``, for an op whose node saves nothing (``IndexPut``)."""
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                           f"({name}). Wrap the update in `with glassnet.no_grad():`.")
    old = result.grad_fn.inputs[0]
    MUTATIONS[0] += 1
    old._version = MUTATIONS[0]
    return _take_history(self, result, old)


def _take_history(self, result, old):
    if self.grad_fn is not None and self.grad_fn.saves_output:
        self.grad_fn.stamp = -1  # its backward reads the value this write replaces: it will raise
    retained = self.grad_fn is not None and self.grad_fn.retained is self
    if retained:
        self.grad_fn.retained = None
    for holder in gc.get_referrers(self):  # earlier users of this tensor: the inputs of their nodes
        if type(holder) is tuple and holder is not result.grad_fn.inputs:
            for node in gc.get_referrers(holder):
                if isinstance(node, Node) and node.inputs is holder:
                    node.inputs = tuple(old if t is self else t for t in holder)
    self.array, self.grad_fn, self._requires_grad = result.array, result.grad_fn, True
    self._version = MUTATIONS[0]
    if retained:
        self.grad_fn.retained = self
    return self


def stand_in(self):
    """A new tensor with this tensor's value and history (the input of an in-place op's node)."""
    old = self._from_array(self.array)
    old.grad_fn, old._requires_grad = self.grad_fn, self._requires_grad
    return old


class MovementMethods:
    __slots__ = ()

    # -- batched matrix products -----------------------------------------------------------
    def bmm(self, batch2):
        """Batched matrix product: (b, n, m) @ (b, m, p) → (b, n, p), no broadcasting."""
        mat2 = batch2
        if self.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if mat2.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        b, _, m = self.shape
        if tuple(mat2.shape[:2]) != (b, m):
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
                               f"but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
        _same_dtype(self, mat2)
        return L.MatMul.apply(self, mat2)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """β·self + α·(batch1 @ batch2), ``self`` broadcast to (b, n, p); β = 0 ignores ``self``."""
        prod = batch1.bmm(batch2)
        target = tuple(prod.shape)
        own = tuple(self.shape)
        for k in range(1, len(own) + 1):
            if len(own) > 3 or own[-k] not in (1, target[-k]):
                d = max(3 - k, 0)
                raise RuntimeError(f"The expanded size of the tensor ({target[d]}) must match the existing "
                                   f"size ({own[-k]}) at non-singleton dimension {d}.  Target sizes: "
                                   f"{list(target)}.  Tensor sizes: {list(own)}")
        if self.array.dtype != batch1.array.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input {_type(self).lower()}, batch1: "
                               f"{_type(batch1).lower()}, batch2: {_type(batch2).lower()}")
        out = prod if alpha == 1 else prod * alpha
        if beta == 0:
            return out
        return out + (self if beta == 1 else self * beta)

    # -- repeating and selecting -----------------------------------------------------------
    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place:
        [1, 2].repeat_interleave(2) → [1, 1, 2, 2]; ``repeats`` may be a tensor, one count per
        slice.  Without ``dim`` the input is flattened first.  (K/V heads shared by several query
        heads: ``k.repeat_interleave(n_rep, dim=1)``.)"""
        if repeats is None:  # torch.repeat_interleave(repeats): the indices, each repeated
            counts = self
            return self._from_array(np.repeat(np.arange(counts.numel()), np.asarray(counts.array).reshape(-1)))
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _dim(dim, x.ndim)
        if x.ndim == 0:
            x, d = x.reshape(1), 0
        if isinstance(repeats, TensorBase):
            r = np.asarray(repeats.array)
            if r.dtype.kind not in "iu":
                raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for \'{_type(repeats)}\'')
            if r.ndim > 1:
                raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
            if r.size not in (1, x.shape[d]):
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {r.size} and input.size({d}) = {x.shape[d]}")
            if (r < 0).any():
                raise RuntimeError("repeats can not be negative")
            r = r.reshape(-1)
            r = int(r[0]) if r.size == 1 else r
        else:
            r = builtins.int(repeats)
            if r < 0:
                raise RuntimeError("Repeats must be non-negative")
        total = x.shape[d] * r if isinstance(r, int) else int(r.sum())
        if output_size is not None and output_size != total:
            raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the sum of "
                               f"repeats {total}")
        return S.RepeatInterleave.apply(x, repeats=r, dim=d)

    def index_select(self, dim: int, index):
        """The slices ``index[0], index[1], …`` along ``dim`` (a 1-D integer tensor; repeats allowed,
        their gradients add)."""
        d = _dim(dim, self.ndim)
        idx = np.asarray(index.array if isinstance(index, TensorBase) else index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        idx = idx.reshape(-1)
        size = self.shape[d] if self.ndim else 1
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise RuntimeError(f"index out of range in self: index {int(bad[0])} is out of bounds for "
                               f"dimension {d} with size {size}")
        return S.Index.apply(self, key=(slice(None),) * d + (idx,)) if self.ndim else self.reshape(-1)[idx]

    # -- index_fill, index_add, masked_scatter, nonzero ---------------------------------------
    def _index_along(self, name: str, dim: int, index):
        d = _dim(dim, self.ndim)
        idx = np.asarray(index.array if isinstance(index, TensorBase) else index)
        if idx.dtype.kind not in "iu":
            raise IndexError(f"{name}(): Expected dtype int64 for index.")
        if idx.ndim > 1:
            raise IndexError(f"{name}(): Index is supposed to be a vector")
        idx = idx.reshape(-1)
        size = self.shape[d] if self.ndim else 1
        bad = idx[(idx < -size) | (idx >= size)]
        if bad.size:
            raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
        return d, idx % size if size else idx

    def index_fill(self, dim: int, index, value):
        """A copy with every slice ``index[k]`` along ``dim`` set to ``value``: a ``masked_fill``
        with a mask that is True on those slices (no gradient flows to them)."""
        d, idx = self._index_along("index_fill_", dim, index)
        mask = np.zeros(self.shape[d] if self.ndim else 1, dtype=bool)
        mask[idx] = True
        shape = [1] * self.ndim
        if self.ndim:
            shape[d] = mask.size
        return self.masked_fill(mask.reshape(shape), value)

    def index_add(self, dim: int, index, source, *, alpha=1):
        """A copy with ``alpha·source``'s slice k added to slice ``index[k]`` along ``dim`` (repeats
        accumulate): ``scatter_add`` with the index spread over the slices."""
        d, idx = self._index_along("index_add_", dim, index)
        if not isinstance(source, TensorBase):
            raise TypeError(f"index_add(): argument 'source' (position 3) must be Tensor, not "
                            f"{type(source).__name__}")
        k = source.shape[d] if source.ndim else 1
        if idx.size != k:
            raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                               f"source.size(dim): ({k}), for dim: {d}")
        if self.ndim and (source.ndim != self.ndim or source.shape[:d] + source.shape[d + 1:] !=
                          self.shape[:d] + self.shape[d + 1:]):
            raise RuntimeError(f"index_add_(): source of shape {list(source.shape)} does not match self "
                               f"of shape {list(self.shape)} outside dim {d}")
        _same_dtype(self, source)
        shape = [1] * source.ndim
        if source.ndim:
            shape[d] = k
        spread = np.broadcast_to(idx.reshape(shape), source.shape).astype(np.intp)
        src = source * alpha if alpha != 1 else source
        if not self.ndim:
            return self + src.sum()
        return S.ScatterAdd.apply(self, src, index=spread, dim=d)

    def masked_scatter(self, mask, tensor):
        """A copy where the places ``mask`` is True (broadcast) take ``source``'s first elements in
        row-major order; ∂/∂source is the output gradient at those places (``IndexPut``)."""
        m = np.broadcast_to(np.asarray(mask.array if isinstance(mask, TensorBase) else mask), self.shape)
        if m.dtype != np.bool_:
            raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                               f"{_TYPE_NAME.get(m.dtype.name, m.dtype.name)}")
        k, source = int(m.sum()), tensor
        if source.numel() < k:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        _same_dtype(self, source)
        values = source.reshape(-1)[:k]
        return S.IndexPut.apply(self, values, key=np.array(m))

    def nonzero(self, *, as_tuple: bool = False):
        """The coordinates of the nonzero elements (int64, one row each, row-major order), or with
        ``as_tuple=True`` one 1-D tensor of coordinates per dimension (ready for indexing)."""
        coords = np.nonzero(np.atleast_1d(np.asarray(self.array)))
        if as_tuple:
            return tuple(self._from_array(c.astype(np.int64)) for c in coords)
        return self._from_array(np.stack(coords, axis=1).astype(np.int64)[:, :self.ndim])

    def argwhere(self):
        return self.nonzero()

    # -- scatter -------------------------------------------------------------------------------
    def _scatter_args(self, name, dim, index, src):
        d = _dim(dim, self.ndim)
        idx = np.asarray(index.array)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
        if idx.ndim != self.ndim and idx.size:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        if src is not None:
            if src.ndim != idx.ndim and idx.size:
                raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
            if src.array.dtype != self.array.dtype:
                raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        shape, sshape = tuple(self.shape), tuple(src.shape) if src is not None else None
        for k, n in enumerate(idx.shape):
            if (k != d and n > shape[k]) or (sshape is not None and n > sshape[k]):
                src_part = f" and to be no larger size than src {list(sshape)}" if sshape is not None else ""
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} "
                                   f"apart from dimension {d}{src_part}")
        bad = idx[(idx < 0) | (idx >= shape[d])] if shape else idx
        if bad.size:
            raise RuntimeError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {d} with "
                               f"size {shape[d]}")
        return d, idx.astype(np.intp)

    def scatter(self, dim: int, index, src=None, value=None, *, reduce=None):
        """A copy of this tensor with ``src[i][j]`` written at row ``index[i][j]`` (for ``dim=0``;
        likewise for other dims), or ``value`` everywhere ``index`` points.  ∂/∂self is 0 at the
        written places; ∂/∂src is the output gradient gathered at ``index``."""
        if reduce is not None:
            raise NotImplementedError(f"scatter(reduce={reduce!r}): glassnet has no reducing scatter; use "
                                      f"scatter_add (reduce='add') or scatter_reduce's spelling out of place")
        if src is not None and not isinstance(src, TensorBase):
            src, value = None, src
        if src is None and value is None:
            raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
        d, idx = self._scatter_args("scatter", dim, index, src)
        if src is None:
            return S.Scatter.apply(self, index=idx, dim=d, value=value)
        return S.Scatter.apply(self, src, index=idx, dim=d)

    def scatter_add(self, dim: int, index, src):
        """A copy of this tensor with ``src[i][j]`` added at row ``index[i][j]`` (for ``dim=0``);
        repeated indices accumulate (a histogram of tokens: ``zeros(V).scatter_add(0, ids, ones)``)."""
        if not isinstance(src, TensorBase):
            raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                            f"{type(src).__name__}")
        d, idx = self._scatter_args("scatter_add", dim, index, src)
        return S.ScatterAdd.apply(self, src, index=idx, dim=d)

    def scatter_(self, dim: int, index, src=None, value=None, *, reduce=None):
        return _write_back(self, "scatter_", lambda old: old.scatter(dim, index, src, value, reduce=reduce),
                           src)

    def scatter_add_(self, dim: int, index, src):
        return _write_back(self, "scatter_add_", lambda old: old.scatter_add(dim, index, src), src)

    # -- roll and flip ---------------------------------------------------------------------------
    def roll(self, shifts, dims=None):
        """Shift cyclically by ``shifts`` along ``dims`` (without ``dims``: the flattened tensor,
        reshaped back)."""
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
            return S.Roll.apply(self.reshape(-1), shifts=int(shifts[0]), dims=0).reshape(self.shape)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        dims = tuple(_dim(d, self.ndim) for d in dims)
        return S.Roll.apply(self, shifts=tuple(int(s) for s in shifts), dims=dims)

    def flip(self, dims, *more):
        """Reverse the order of the elements along ``dims`` (a copy, as in torch); ``x.flip(0, 1)``
        is ``x.flip((0, 1))``."""
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,) + more
        dims = tuple(_dim(d, self.ndim) for d in dims)
        seen = set()
        for d in dims:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
        return S.Flip.apply(self, dims=dims)

    def fliplr(self):
        if self.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self):
        if self.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return self.flip(0)

    # -- histograms (counts: no gradient) ---------------------------------------------------------
    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (other dimensions broadcast):
        c_i = a_{i+1}·b_{i+2} − a_{i+2}·b_{i+1} (indices mod 3), i.e. (a₁b₂ − a₂b₁, a₂b₀ − a₀b₂,
        a₀b₁ − a₁b₀), written as two rolls and a product so its gradient is the ops'.  Without
        ``dim``, the first dimension of size 3 (torch's deprecated default; it warns)."""
        if self.ndim != other.ndim:
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        _same_dtype(self, other)
        if dim is None:
            warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
                          "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
                          "dim will change to agree with that of linalg.cross in a future release.",
                          UserWarning, stacklevel=2)
            dim = next((i for i, (m, n) in enumerate(zip(self.shape, other.shape)) if m == n == 3), None)
            if dim is None:
                raise RuntimeError(f"no dimension of size 3 in input: give dim (shapes {list(self.shape)} "
                                   f"and {list(other.shape)})")
        d = _dim(dim, self.ndim)
        for i, (m, n) in enumerate(zip(self.shape, other.shape)):
            if m != n and 1 not in (m, n):
                raise RuntimeError(f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                                   f"non-singleton dimension {i}")
        if self.shape[d] != 3 or other.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                               f"{self.shape[d]} and {other.shape[d]}")
        return self.roll(-1, d) * other.roll(-2, d) - self.roll(-2, d) * other.roll(-1, d)

    def histc(self, bins: int = 100, min=0, max=0):  # noqa: A002 - torch's names
        """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's range
        when min = max = 0; ±1 around a single value); elements outside are ignored, the last
        bin includes ``max``."""
        if self.array.dtype.kind != "f":
            raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_type(self)}'")
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        a = np.asarray(self.array).reshape(-1)
        lo, hi = float(min), float(max)
        if lo > hi:
            raise RuntimeError("torch.histc: max must be larger than min")
        if lo == hi and a.size:
            lo, hi = float(a.min()), float(a.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        edges = _linspace(lo, hi, bins + 1, a.dtype)
        return self._from_array(_counts(a, edges, None, local_search=False))

    def histogram(self, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002
        """(hist, bin_edges): counts (or summed ``weight``) in ``bins`` equal-width bins over
        ``range`` (the data's range by default; ±0.5 around a single value), or in the bins
        between the edges of a 1-D tensor ``bins``; ``density`` divides by total × bin width."""
        if self.array.dtype.kind != "f":
            raise NotImplementedError(f"\"histogramdd\" not implemented for '{_type(self)}'")
        a = np.asarray(self.array).reshape(-1)
        if isinstance(bins, TensorBase):
            edges = np.asarray(bins.array, dtype=a.dtype)
            if edges.ndim != 1 or edges.size < 1:
                raise RuntimeError("torch.histogram(): bins tensor should have one dimension")
        else:
            if bins <= 0:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
            if range is not None:
                lo, hi = float(range[0]), float(range[1])
                if lo > hi:
                    raise RuntimeError(f"torch.histogram(): min should not exceed max, but got min {lo} "
                                       f"max {hi} for dimension 0")
            else:
                lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = _linspace(lo, hi, bins + 1, a.dtype)
        w = None if weight is None else np.asarray(weight.array, dtype=a.dtype).reshape(-1)
        hist = _counts(a, edges, w, local_search=True)
        if density:
            with np.errstate(invalid="ignore", divide="ignore"):  # no counts: nan, as torch
                hist = hist / (hist.sum() * np.diff(edges))
        return HistogramResult(self._from_array(hist.astype(a.dtype)), self._from_array(edges))


def _linspace(lo, hi, n, dtype):
    """torch's ``linspace`` in the input's precision: from the start for the first half, from the
    end for the second (so the edges match torch's to the last bit)."""
    lo, hi = dtype.type(lo), dtype.type(hi)
    step = (hi - lo) / dtype.type(n - 1)
    i = np.arange(n)
    return np.where(i < n // 2, lo + step * i.astype(dtype), hi - step * (n - 1 - i).astype(dtype)).astype(dtype)


def _num(x: float) -> str:
    return "-nan" if np.isnan(x) else ("inf" if x == np.inf else "-inf" if x == -np.inf else f"{x:g}")


def _counts(a, edges, weight, local_search):
    """torch's binning: pos = ⌊(x − left)·bins / (right − left)⌋ in the input's precision (with the
    edges then consulted when they were given), the right edge counted in the last bin."""
    bins = len(edges) - 1
    left, right = edges[0], edges[-1]
    keep = (a >= left) & (a <= right)
    x = a[keep]
    w = None if weight is None else weight[keep]
    if right > left:
        pos = ((x - left) * a.dtype.type(bins) / (right - left)).astype(np.int64)
    else:
        pos = np.zeros(x.shape, dtype=np.int64)
    pos = np.clip(pos, 0, bins)
    if local_search:
        pos = np.where((pos > 0) & (x < edges[np.minimum(pos, bins)]), pos - 1, pos)
        pos = np.where((pos < bins) & (x >= edges[np.minimum(pos + 1, bins)]), pos + 1, pos)
    pos[pos == bins] = bins - 1
    return np.bincount(pos, weights=w, minlength=bins).astype(a.dtype)
