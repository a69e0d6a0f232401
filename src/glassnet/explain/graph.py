"""The recorded computation graph as Graphviz DOT, and as SVG when ``dot`` is installed.

Each op is a node labelled with its op, where it ran, its output shape and, for small tensors,
its value and the gradient backward sent into it; parameters and leaves (input, target,
constants) are their own nodes.  Edges run forward, from each input to the op that read it.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

from ._numbers import fmt_any

SMALL = 8       # tensors with at most this many entries show their numbers


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _values(label: str, value) -> str:
    if value is None:
        return ""
    if np.size(value) > SMALL:
        return ""
    return f"\n{label} {fmt_any(np.asarray(value), minus='-')}"


def to_dot(rec, name: str = "step") -> str:
    """The forward graph of ``rec`` as DOT text (``digraph``, left to right)."""
    lines = [f'digraph "{_esc(name)}" {{', "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];']
    params_seen, leaves_seen = set(), set()
    for op in rec.forward_ops:
        for ref in op.inputs:
            if ref.kind == "param" and ref.key not in params_seen:
                params_seen.add(ref.key)
                p = rec.param(ref.key)
                label = f"{ref.key}\n{tuple(np.shape(p.before))}" + _values("=", p.before) + \
                    _values("grad", p.grad)
                lines.append(f'  "p:{_esc(ref.key)}" [shape=box, style=filled, fillcolor="#fde9c8", '
                             f'label="{_esc(label)}"];')
            elif ref.kind == "leaf" and ref.key not in leaves_seen:
                leaves_seen.add(ref.key)
                leaf = rec.leaves[ref.key]
                label = f"{leaf.name} ({leaf.role})" + _values("=", leaf.value)
                lines.append(f'  "l:{ref.key}" [shape=ellipse, style=filled, fillcolor="#e8eef7", '
                             f'label="{_esc(label)}"];')
        label = (f"{op.op} [{op.label}]\n{op.name} {tuple(op.shape)}" + _values("=", op.output)
                 + _values("∂L/∂·", op.grad_out))
        color = "#d7f0d2" if op.index == rec.loss_index else "#ffffff"
        lines.append(f'  "o:{op.index}" [shape=box, style="rounded,filled", fillcolor="{color}", '
                     f'label="{_esc(label)}"];')
        for ref in op.inputs:
            src = {"op": f"o:{ref.key}", "param": f"p:{_esc(str(ref.key))}", "leaf": f"l:{ref.key}"}[ref.kind]
            lines.append(f'  "{src}" -> "o:{op.index}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def has_dot() -> bool:
    """Is the Graphviz ``dot`` program installed?"""
    return shutil.which("dot") is not None


def to_svg(rec, timeout: float = 30.0):
    """The graph as SVG text via ``dot -Tsvg``; None when Graphviz is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=to_dot(rec).encode("utf-8"), capture_output=True,
                          timeout=timeout, check=True)
    return done.stdout.decode("utf-8")
