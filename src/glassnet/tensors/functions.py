"""The ``torch.*`` function forms of Tensor methods: ``glassnet.sum(input, dim)`` is
``input.sum(dim)``, with ``input`` as torch names it (so ``torch.sum(input=x)`` works) and torch's
keyword aliases (``axis=``, ``keepdims=``, ``x=``)."""
from __future__ import annotations

import inspect

from ..ops import einsum as _einsum
from .aliases import accept_aliases
from .movement import _same_dtype
from .out import write_out
from .tensor import Tensor, tensor

#: Tensor methods that torch also offers as functions with ``input`` first.
METHODS = ("exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sin", "cos", "relu", "sigmoid", "tanh",
           "softmax", "log_softmax", "sum", "mean", "max", "min", "maximum", "minimum", "argmax", "argmin",
           "matmul", "clamp", "clip", "flatten", "transpose", "squeeze", "unsqueeze", "pow", "std", "var",
           "t", "numel", "neg", "mul", "add", "sub", "div", "detach", "clone", "chunk", "unbind", "select",
           "masked_fill", "any", "all", "square", "sign", "floor", "ceil", "round", "trunc", "reciprocal",
           "cumsum", "prod", "topk", "sort", "argsort", "logsumexp", "gather", "remainder", "fmod",
           "unflatten", "log2", "log10", "exp2", "expm1", "tril", "triu",
           "repeat_interleave", "index_select", "scatter", "scatter_add", "roll", "flip",
           "fliplr", "flipud", "histc", "histogram", "nonzero", "argwhere", "index_fill", "index_add",
           "masked_scatter", "asin", "arcsin", "sinh", "cosh", "eq", "ne", "lt", "le", "gt", "ge",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "cross")
#: ... and the in-place ones torch also offers as functions (``torch.sin_(x)`` is ``x.sin_()``)
METHODS += ("abs_", "asin_", "arcsin_", "ceil_", "clamp_", "clamp_min_", "clamp_max_", "clip_", "cos_",
            "cosh_", "exp_", "exp2_", "expm1_", "fill_", "floor_", "log_", "log10_", "log1p_", "log2_",
            "neg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinh_", "sqrt_",
            "square_", "tanh_", "trunc_", "zero_", "detach_")

#: The function forms that take torch's ``out=`` (the result written into a given tensor).
WITH_OUT = {"asin", "sinh", "cosh", "eq", "ne", "lt", "le", "gt", "ge", "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sin", "cos", "sigmoid", "tanh", "sum", "mean",
            "maximum", "minimum", "matmul", "clamp", "clip", "pow", "std", "var", "neg", "mul", "add",
            "sub", "div", "square", "sign", "floor", "ceil", "round", "trunc", "reciprocal", "cumsum",
            "prod", "logsumexp", "gather", "remainder", "fmod", "log2", "log10", "exp2", "expm1", "tril",
            "triu", "index_select", "scatter", "scatter_add", "nonzero", "argwhere", "index_add"}
#: ... of which these take it only with a ``dim`` (torch's ``sum(x, out=t)`` is a TypeError)
_OUT_NEEDS_DIM = {"sum", "mean", "std", "var", "prod", "logsumexp"}


def _function(name: str):
    method = getattr(Tensor, name)
    inner = getattr(method, "__wrapped__", method)
    sig = inspect.signature(inner)
    params = list(sig.parameters.values())
    params[0] = params[0].replace(name="input")

    def fn(input, *args, **kwargs):  # noqa: A002 - torch's name
        out = kwargs.pop("out", None) if name in WITH_OUT else None
        if out is not None and name in _OUT_NEEDS_DIM and not args and kwargs.get("dim") is None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                            f"out=Tensor): out= needs a dim, as in {name}(x, dim, out=t)")
        result = method(input if isinstance(input, Tensor) else tensor(input), *args, **kwargs)
        return write_out(name, result, out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``glassnet.{name}(input, ...)`` is ``input.{name}(...)``.\n\n{inner.__doc__ or ''}"
    fn.__signature__ = sig.replace(parameters=params)
    return accept_aliases(fn)


for _name in METHODS:
    globals()[_name] = _function(_name)
del _name


@accept_aliases
def reshape(input, shape):  # noqa: A002
    """``glassnet.reshape(input, shape)`` is ``input.reshape(shape)``."""
    return input.reshape(shape)


@accept_aliases
def permute(input, dims):  # noqa: A002
    """``glassnet.permute(input, dims)`` is ``input.permute(dims)``."""
    return input.permute(dims)


@accept_aliases
def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    """``max(input)``, ``max(input, dim, keepdim=False)`` → (values, indices), or the element-wise
    ``max(input, other)``."""
    return input.max(other if other is not None else dim, keepdim)


@accept_aliases
def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    """``min(input)``, ``min(input, dim, keepdim=False)`` → (values, indices), or the element-wise
    ``min(input, other)``."""
    return input.min(other if other is not None else dim, keepdim)


def mm(input, mat2, out_dtype=None, *, out=None):  # noqa: A002
    """Matrix product of two 2-D tensors (``out_dtype`` casts the result)."""
    result = input @ mat2
    return write_out("mm", result if out_dtype is None else result.to(out_dtype), out)


@accept_aliases
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):  # noqa: A002
    """The Frobenius / 2-norm (or the p-norm) over ``dim`` (all elements by default)."""
    return write_out("norm", input.norm(p, dim, keepdim, dtype), out)


@accept_aliases
def narrow(input, dim, start, length):  # noqa: A002
    """``glassnet.narrow(input, dim, start, length)`` is ``input.narrow(dim, start, length)``."""
    return input.narrow(dim, start, length)


@accept_aliases
def split(tensor, split_size_or_sections, dim=0):
    """``tensor.split(split_size_or_sections, dim)``: pieces of a size, or of the listed sizes."""
    return tensor.split(split_size_or_sections, dim)


def bmm(input, mat2, out_dtype=None, *, out=None):  # noqa: A002
    """Batched matrix product of two 3-D tensors: (b, n, m) @ (b, m, p) → (b, n, p)."""
    result = input.bmm(mat2)
    return write_out("bmm", result if out_dtype is None else result.to(out_dtype), out)


def baddbmm(input, batch1, batch2, out_dtype=None, *, beta=1, alpha=1, out=None):  # noqa: A002
    """β·input + α·(batch1 @ batch2), ``input`` broadcast to the product's shape."""
    result = input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)
    return write_out("baddbmm", result if out_dtype is None else result.to(out_dtype), out)


def einsum(equation, *operands):
    """Sum of products over labelled axes: ``einsum("bij,bjk->bik", a, b)`` is ``bmm``,
    ``einsum("bqd,bkd->bqk", q, k)`` attention scores, ``einsum("ii", a)`` a trace; operands may
    also come as one list; ``...`` broadcasts; without ``->`` the output is the labels that appear
    once, in alphabetical order.  One node, contracted pairwise with batched matrix products
    (``glassnet/ops/einsum.py``); the gradient of each operand is an einsum again."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): the first argument must be the equation string (the sublist "
                        "format einsum(a, [0, 1], ...) is not supported)")
    operands = tuple(o if isinstance(o, Tensor) else tensor(o) for o in operands)
    labels, out, sizes = _einsum.parse(equation, tuple(o.array.shape for o in operands))
    for o in operands[1:]:
        _same_dtype(operands[0], o)
    return _einsum.Einsum.apply(*operands, operands=labels, out=out, sizes=sizes)


__all__ = list(METHODS) + ["einsum", "bmm", "baddbmm", "reshape", "permute", "max", "min", "mm", "norm", "split", "narrow"]
