"""Element-wise primitives.  Each backward is the chain rule for one element:
``grad_input = grad_output * (local derivative)``.  Ops whose derivative is cheapest
from the output (exp, sigmoid, tanh, sqrt) keep the output (HIPS autograd's ``ans``).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf, expit

from ..autograd.function import Function


def _float_result(out, a, b):
    """Integer / integer is a float32 result in PyTorch (NumPy would give float64)."""
    if out.dtype == np.float64 and a.dtype != np.float64 and b.dtype != np.float64:
        return out.astype(np.float32)
    return out


class Add(Function):
    __slots__ = ()
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g

    def backward_graph(self, g):
        return g, g


class Sub(Function):
    __slots__ = ()
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_grad(1) else None)

    def backward_graph(self, g):
        return g, (-g if self.needs_grad(1) else None)


class Mul(Function):
    __slots__ = ("a", "b")
    saves_inputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return (g * self.b if self.needs_grad(0) else None,
                g * self.a if self.needs_grad(1) else None)

    def backward_graph(self, g):
        a, b = self.inputs
        return g * b if self.needs_grad(0) else None, g * a if self.needs_grad(1) else None


class Div(Function):
    __slots__ = ("a", "b")
    saves_inputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return _float_result(a / b, np.asarray(a), np.asarray(b))

    def backward(self, g):
        gb = g / self.b
        return gb, (-gb * self.a / self.b if self.needs_grad(1) else None)

    def backward_graph(self, g):
        a, b = self.inputs
        gb = g / b
        return gb, (-gb * a / b if self.needs_grad(1) else None)


class Pow(Function):
    """``a ** b``; d/da = b·a^(b−1), d/db = a^b · ln a (only where a > 0)."""

    __slots__ = ("a", "b", "out")

    saves_inputs = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = g * b * a ** (b - 1)
        gb = None
        if self.inputs[1].requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * np.where(a > 0, self.out * np.log(np.where(a > 0, a, 1)), 0)
        return ga, gb

    def backward_graph(self, g):
        a, b = self.inputs
        ga = g * b * a ** (b - 1) if self.needs_grad(0) else None
        gb = None
        if self.needs_grad(1):
            outside = a <= 0
            gb = (g * a ** b * a.masked_fill(outside, 1).log()).masked_fill(outside, 0)
        return ga, gb


class Neg(Function):
    __slots__ = ()
    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)

    def backward_graph(self, g):
        return (-g,)


class Exp(Function):
    saves_output = True
    __slots__ = ("out",)
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return (g * self.out,)

    def backward_graph(self, g):
        return (g * self.inputs[0].exp(),)


class Log(Function):
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, g):
        return (g / self.a,)

    def backward_graph(self, g):
        return (g / self.inputs[0],)


class Log1p(Function):
    """log1p(x) = ln(1 + x), computed by ``np.log1p`` (exact near 0, where 1 + x would round);
    d/dx = 1 / (1 + x)."""

    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.log1p(a)

    def backward(self, g):
        return (g / (1 + self.a),)

    def backward_graph(self, g):
        return (g / (1 + self.inputs[0]),)


class Expm1(Function):
    """expm1(x) = eˣ − 1, computed by ``np.expm1`` (exact near 0); d/dx = eˣ = expm1(x) + 1."""
    saves_output = True

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, g):
        return (g * (self.out + 1),)

    def backward_graph(self, g):
        return (g * self.inputs[0].exp(),)


class Exp2(Function):
    """exp2(x) = 2ˣ; d/dx = 2ˣ · ln 2."""
    saves_output = True

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.exp2(a)
        return self.out

    def backward(self, g):
        return (g * self.out * math.log(2.0),)

    def backward_graph(self, g):
        return (g * self.inputs[0].exp2() * math.log(2.0),)


class LogBase(Function):
    """log_b(x) for b = 2 or 10 (``np.log2`` / ``np.log10``; float32 log10 through float64, as
    NumPy's float32 log10 gives 3.0000002 for 1000 where torch gives 3); d/dx = 1 / (x · ln b)."""

    __slots__ = ("a", "base")
    saves_inputs = True

    def forward(self, a, base=2):
        self.a, self.base = a, base
        if base == 2:
            return np.log2(a)
        if getattr(a, "dtype", None) == np.float32:
            return np.log10(a.astype(np.float64)).astype(np.float32)
        return np.log10(a)

    def backward(self, g):
        return (g / (self.a * math.log(self.base)),)

    def backward_graph(self, g):
        return (g / (self.inputs[0] * math.log(self.base)),)


class Sqrt(Function):
    saves_output = True
    __slots__ = ("out",)
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        return (g / (2 * self.out),)

    def backward_graph(self, g):
        return (g / (2 * self.inputs[0].sqrt()),)


class Abs(Function):
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return (g * np.sign(self.a),)

    def backward_graph(self, g):
        return (g * g._from_array(np.sign(self.a).astype(self.a.dtype)),)


class Sin(Function):
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, g):
        return (g * np.cos(self.a),)

    def backward_graph(self, g):
        return (g * self.inputs[0].cos(),)


class Asin(Function):
    """asin′(x) = 1/√(1 − x²)."""
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.arcsin(a)

    def backward(self, g):
        return (g / np.sqrt(1 - self.a * self.a),)

    def backward_graph(self, g):
        x = self.inputs[0]
        return (g * (1 - x * x).rsqrt(),)


class Sinh(Function):
    """sinh′ = cosh."""
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.sinh(a)

    def backward(self, g):
        return (g * np.cosh(self.a),)

    def backward_graph(self, g):
        return (g * self.inputs[0].cosh(),)


class Cosh(Function):
    """cosh′ = sinh."""
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.cosh(a)

    def backward(self, g):
        return (g * np.sinh(self.a),)

    def backward_graph(self, g):
        return (g * self.inputs[0].sinh(),)


class Cos(Function):
    __slots__ = ("a",)
    saves_inputs = True

    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, g):
        return (-g * np.sin(self.a),)

    def backward_graph(self, g):
        return (-g * self.inputs[0].sin(),)


class Relu(Function):
    """relu(z) = max(0, z); relu′(z) = 1 if z > 0 else 0 (0 at the kink, as in PyTorch)."""
    saves_output = True

    __slots__ = ("out",)

    def forward(self, a):
        if type(a) is np.ndarray:  # (against a row of zeros: NumPy's array-array loop is ~2x faster
            self.out = np.maximum(a, np.zeros(a.shape[-1:], a.dtype))  # than its array-scalar one)
        else:  # a NumPy scalar: a plain comparison is ~15x faster than the ufunc
            self.out = a if (a > 0 or a != a) else type(a)(0)
        return self.out

    def backward(self, g):
        return (g * (self.out > 0),)

    def backward_graph(self, g):
        return (g * g._from_array((self.out > 0).astype(np.result_type(self.out))),)


class LeakyRelu(Function):
    __slots__ = ("a", "slope")
    saves_inputs = True

    def forward(self, a, negative_slope=0.01):
        self.a, self.slope = a, negative_slope
        return np.where(a > 0, a, a * negative_slope)

    def backward(self, g):
        return (g * np.where(self.a > 0, 1, self.slope).astype(g.dtype),)

    def backward_graph(self, g):
        return (g * g._from_array(np.where(self.a > 0, 1, self.slope).astype(self.a.dtype)),)


class Sigmoid(Function):
    """σ(z) = 1 / (1 + e^−z) (SciPy's ``expit``: one stable ufunc, no overflow);
    σ′(z) = σ(z)(1 − σ(z))."""
    saves_output = True

    __slots__ = ("out",)

    def forward(self, a):
        self.out = expit(a)
        return self.out

    def backward(self, g):
        return (g * self.out * (1 - self.out),)

    def backward_graph(self, g):
        s = self.inputs[0].sigmoid()
        return (g * s * (1 - s),)


class Tanh(Function):
    """tanh′(z) = 1 − tanh(z)²."""
    saves_output = True

    __slots__ = ("out",)

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        return (g * (1 - self.out * self.out),)

    def backward_graph(self, g):
        t = self.inputs[0].tanh()
        return (g * (1 - t * t),)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class Gelu(Function):
    """gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2));  gelu′(x) = Φ(x) + x·φ(x).

    With ``approximate='tanh'``: ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), computed as
    x·σ(2u) (the same number, as 1 + tanh u = 2σ(2u), but without cancellation for x ≪ 0);
    gelu′(x) = σ(2u) + 2x·σ(2u)(1 − σ(2u))·√(2/π)(1 + 3·0.044715x²).
    """

    saves_inputs = True

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.s = expit(2 * _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            return x * self.s
        self.cdf = 0.5 * (1 + erf(x / math.sqrt(2.0)))
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            s = self.s
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (g * (s + 2 * x * s * (1 - s) * du),)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return (g * (self.cdf + x * pdf).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        return (GeluGrad.apply(g, self.inputs[0], approximate=self.approximate),)


class GeluGrad(Function):
    """GELU's backward as an op of its own, so it can be differentiated (double backward):
    out = g · gelu′(x);  ∂out/∂g = gelu′(x),  ∂out/∂x = g · gelu″(x), with
    gelu″(x) = φ(x)(2 − x²) (exact) or, for the tanh form with s = σ(2u), A = s(1 − s),
    4Au′ + 4xA(1 − 2s)u′² + 2xAu″ (u′ = √(2/π)(1 + 3·0.044715x²), u″ = √(2/π)·6·0.044715x)."""

    saves_inputs = True

    def forward(self, g, x, approximate="none"):
        self.g, self.x, self.approximate = g, x, approximate
        if approximate == "tanh":
            self.s = expit(2 * _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            self.du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            self.d1 = self.s + 2 * x * self.s * (1 - self.s) * self.du
        else:
            self.pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
            self.d1 = 0.5 * (1 + erf(x / math.sqrt(2.0))) + x * self.pdf
        return g * self.d1

    def backward(self, gg):
        x = self.x
        if self.approximate == "tanh":
            s, du = self.s, self.du
            a = s * (1 - s)
            d2 = 4 * a * du + 4 * x * a * (1 - 2 * s) * du * du + 2 * x * a * _SQRT_2_OVER_PI * 6 * 0.044715 * x
        else:
            d2 = self.pdf * (2 - x * x)
        return gg * self.d1, gg * self.g * d2


class Silu(Function):
    """silu(x) = x·σ(x);  silu′(x) = σ(x)·(1 + x·(1 − σ(x)))."""

    __slots__ = ("x", "s")

    saves_inputs = True

    def forward(self, x):
        self.x, self.s = x, expit(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return (g * (s * (1 + self.x * (1 - s))),)

    def backward_graph(self, g):
        x = self.inputs[0]
        s = x.sigmoid()
        return (g * (s * (1 + x * (1 - s))),)


class Mish(Function):
    """mish(x) = x·tanh(softplus(x));  mish′(x) = t + x·σ(x)·(1 − t²), t = tanh(softplus(x))."""

    __slots__ = ("x", "t")

    saves_inputs = True

    def forward(self, x):
        self.x = x
        self.t = np.tanh(np.logaddexp(0, x)).astype(x.dtype, copy=False)
        return x * self.t

    def backward(self, g):
        t = self.t
        return (g * (t + self.x * expit(self.x) * (1 - t * t)),)


class Clamp(Function):
    """Gradient passes where min ≤ a ≤ max (PyTorch includes the bounds)."""

    __slots__ = ("a", "hi", "lo")

    saves_inputs = True

    def forward(self, a, min=None, max=None):  # noqa: A002 - torch's names
        self.a, self.lo, self.hi = a, min, max
        return np.clip(a, min, max)

    def backward(self, g):
        mask = np.ones(np.shape(self.a), dtype=bool)
        if self.lo is not None:
            mask &= self.a >= self.lo
        if self.hi is not None:
            mask &= self.a <= self.hi
        return (g * mask,)

    def backward_graph(self, g):
        mask = (self.a >= (-np.inf if self.lo is None else self.lo)) & (self.a <= (np.inf if self.hi is None else self.hi))
        return (g * g._from_array(mask.astype(self.a.dtype)),)


class Where(Function):
    """``where(cond, a, b)``: the gradient goes to ``a`` where cond holds, to ``b`` elsewhere."""

    __slots__ = ("cond",)

    def forward(self, a, b, cond=None):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        zero = np.zeros((), dtype=g.dtype)
        return (np.where(self.cond, g, zero) if self.needs_grad(0) else None,
                np.where(self.cond, zero, g) if self.needs_grad(1) else None)

    def backward_graph(self, g):
        zero = g._from_array(np.zeros((), dtype=g.array.dtype))
        return Where.apply(g, zero, cond=self.cond), Where.apply(zero, g, cond=self.cond)


class Rounding(Function):
    """floor, ceil, trunc, round, sign: piecewise constant, so the gradient is 0 everywhere."""

    __slots__ = ()

    def forward(self, a, fn=None):
        return fn(a)

    def backward(self, g):
        return (np.zeros_like(g),)

    def backward_graph(self, g):
        return (g * 0,)


class Cast(Function):
    """Change dtype (``.double()``, ``.to(glassnet.exact)``); the gradient is cast back."""

    __slots__ = ("src",)

    def forward(self, a, dtype=None):
        self.src = a.dtype
        return to_numpy_dtype(a, dtype)

    def backward(self, g):
        return (to_numpy_dtype(g, self.src),)

    def backward_graph(self, g):
        return (Cast.apply(g, dtype=self.src),)


def to_numpy_dtype(a, np_dtype):
    """``a`` as ``np_dtype``; floats become exact fractions from their shortest decimal form,
    so 0.1 becomes 1/10 (the number the user typed), not the nearest binary fraction."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype == object and np.asarray(a).dtype != object:
        from fractions import Fraction
        arr = np.asarray(a)
        if arr.dtype.kind == "f":  # the shortest decimal that rounds to v *in its own dtype*
            kind = arr.dtype.type
            conv = np.frompyfunc(lambda v: Fraction(str(kind(v))), 1, 1)
        else:
            conv = np.frompyfunc(lambda v: Fraction(int(v)), 1, 1)
        out = conv(arr)
        return out if isinstance(out, np.ndarray) else np.array(out, dtype=object)
    return np.asarray(a).astype(np_dtype)
