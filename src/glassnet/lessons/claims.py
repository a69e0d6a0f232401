"""Checking a seed's printed numbers against a recording (``Recording.claims``).

A :class:`Claim` pairs what the seed prints (rounded to its decimals) with what glassnet
computed.  ``check`` decides whether the printed figure is the computed value rounded; where
it is not, the claim carries a note explaining where the seed's arithmetic went astray (an
arithmetic slip, or an intermediate rounded before multiplying) rather than copying it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..explain._numbers import fmt, fmt_any, scalar, to_float


@dataclass
class Claim:
    quantity: str
    seed: str
    computed: str
    verdict: str
    note: str = ""

    @property
    def agrees(self) -> bool:
        return self.verdict.startswith("agrees")


def rounds_to(computed, printed, decimals: int) -> bool:
    """Does ``computed``, rounded to ``decimals``, print as ``printed``?  (Elementwise.)"""
    c = np.atleast_1d(to_float(np.asarray(computed, dtype=object)
                               if not isinstance(computed, np.ndarray) else computed))
    p = np.atleast_1d(np.asarray(printed, dtype=float))
    if c.shape != p.shape:
        return False
    return bool(np.all(np.abs(c - p) <= 0.5 * 10.0 ** -decimals + 1e-12))


def check(quantity: str, seed_text: str, printed, decimals: int, computed, note: str = "",
          agree_note: str = "") -> Claim:
    """A Claim whose verdict says whether the seed's figure is ``computed`` rounded."""
    ok = rounds_to(computed, printed, decimals)
    shown = fmt_any(computed) if isinstance(computed, np.ndarray) else fmt(computed)
    if ok:
        return Claim(quantity, seed_text, shown, f"agrees (to {decimals} decimal{'s' if decimals != 1 else ''})", agree_note)
    return Claim(quantity, seed_text, shown, "differs", note)


def count_claim(quantity: str, seed_text: str, printed: int, computed: int, note: str = "") -> Claim:
    return Claim(quantity, seed_text, str(computed), "agrees" if printed == computed else "differs",
                 "" if printed == computed else note)


def entries(param, index_list) -> np.ndarray:
    """Several entries of an array, as an object array (keeps Fractions)."""
    out = np.empty(len(index_list), dtype=object)
    for k, idx in enumerate(index_list):
        out[k] = scalar(param[idx])
    return out
