"""Numbers as a learner reads them: exact fractions as decimals, floats rounded, one minus sign.

Every renderer formats through :func:`fmt`, so a value prints the same way in the terminal,
in Markdown, in LaTeX and in HTML.  Exact values (``fractions.Fraction``) print as their full
decimal expansion when it terminates (11/25 is ``0.44``) and as ``p/q`` otherwise; floats are
rounded to four decimals (more when that would leave fewer than three significant digits) and
very small ones are written in scientific notation, so ``7.45e−09`` is not mistaken for zero.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

MINUS = "\u2212"


def is_exact(value) -> bool:
    """True for a Fraction, an int, or an object array holding them."""
    if isinstance(value, np.ndarray):
        return value.dtype == object
    return isinstance(value, (Fraction, int)) and not isinstance(value, bool)


def scalar(value):
    """A Python number (Fraction, int or float) from a NumPy scalar or 0-d array."""
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_float(value):
    """``value`` as float (or a float array): what JSON and plots receive."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64) if value.dtype == object else value.astype(np.float64, copy=False)
    return float(scalar(value))


def _terminating(fr: Fraction, max_digits: int = 16):
    """The decimal expansion of ``fr`` if it terminates within ``max_digits`` decimals."""
    q = fr.denominator
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    digits = max(twos, fives)
    if q != 1 or digits > max_digits:
        return None
    scaled = abs(fr.numerator) * (10 ** digits) // fr.denominator
    text = str(scaled).rjust(digits + 1, "0")
    body = text if digits == 0 else f"{text[:-digits]}.{text[-digits:]}"
    return (MINUS if fr < 0 else "") + body


def fmt(value, places: int = 4, minus: str = MINUS) -> str:
    """One number for display (see the module docstring)."""
    value = scalar(value)
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, int):
        value = Fraction(value)
    if isinstance(value, Fraction):
        text = _terminating(value)
        if text is None:
            text = f"{value.numerator}/{value.denominator}".replace("-", MINUS)
            if len(text) > 12:
                text = "≈" + fmt(float(value), places)
        return text.replace(MINUS, minus)
    v = float(value)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    if abs(v) < 1e-4 or abs(v) >= 1e6:
        text = f"{v:.3g}"
    else:
        decimals = max(places, 2 - math.floor(math.log10(abs(v))))
        text = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace("-", minus)


EDGE = 3    # entries kept at each end of an elided axis (NumPy's and PyTorch's edgeitems)


def fmt_array(values, places: int = 4, minus: str = MINUS, limit: int = 16) -> str:
    """A vector or matrix as nested brackets; an axis longer than ``limit`` shows its first and
    last three entries around ``…``, as NumPy and PyTorch print large arrays:
    ``[0.1, −0.1, 0.2, …, 0.3, 0.1, 0]``."""
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.ndim == 0:
        return fmt(arr[()], places, minus)
    n = len(arr)
    if n > limit:
        shown = [fmt_array(v, places, minus, limit) for v in arr[:EDGE]] + ["…"] + \
            [fmt_array(v, places, minus, limit) for v in arr[n - EDGE:]]
    else:
        shown = [fmt_array(v, places, minus, limit) for v in arr]
    return "[" + ", ".join(shown) + "]"


def fmt_any(value, places: int = 4, minus: str = MINUS) -> str:
    """A scalar, a vector or matrix (``fmt_array``), or a summary of a larger array (a batch of
    feature maps has thousands of entries: a line shows its shape and range instead)."""
    if isinstance(value, np.ndarray) and value.ndim > 2:
        return fmt_summary(value, places, minus)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return fmt_array(value, places, minus)
    return fmt(value, places, minus)


def fmt_summary(arr: np.ndarray, places: int = 4, minus: str = MINUS) -> str:
    """``(a 8×16×5×5 array from −0.0071 to 0.0074)``; without the range where entries are
    missing (``None``: computed only where shown)."""
    shape = "×".join(str(n) for n in arr.shape)
    if arr.size == 0:
        return f"(an empty {shape} array)"
    if arr.dtype == object:
        flat = arr.reshape(-1)
        if any(v is None for v in flat):
            return f"(a {shape} array)"
        lo, hi = min(flat), max(flat)
    else:
        lo, hi = np.min(arr), np.max(arr)
    return f"(a {shape} array from {fmt(lo, places, minus)} to {fmt(hi, places, minus)})"


def float32_decimal(value) -> Fraction:
    """The decimal a user most likely typed for a float (0.2 for float32(0.2)), as a Fraction."""
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, np.float32):
        return Fraction(np.format_float_positional(value, unique=True, trim="-"))
    value = scalar(value)
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    return Fraction(repr(float(value)))


def ulp(magnitude: float, dtype) -> float:
    """The spacing of floats of ``dtype`` at ``magnitude`` (``numpy.spacing``)."""
    dt = np.dtype(dtype)
    if dt == object:
        return 0.0
    return float(np.spacing(dt.type(abs(magnitude))))


def pct(before, after) -> float:
    """The relative change from ``before`` to ``after`` in percent (exact when both are)."""
    before, after = scalar(before), scalar(after)
    if before == 0:
        return float("nan")
    return float((after - before) * 100 / before) if is_exact(before) and is_exact(after) \
        else (float(after) - float(before)) * 100.0 / float(before)
