"""``einsum``: a sum of products over labelled axes, as one primitive.

The equation is read once into integer labels (``"bij,bjk->bik"`` → operands (0, 1, 2),
(0, 2, 3), output (0, 1, 3); ``...`` becomes labels of its own, right-aligned and broadcast as
torch does).  The forward contracts the operands two at a time in the order NumPy's
``einsum_path`` finds (computed once per equation and shapes, then cached), and each pairwise
contraction is one batched matrix product:

    labels in both and kept  → batch B,   only in the left → M,
    in both and summed       → K,         only in the right → N,
    (B, M, K) @ (B, K, N) → (B, M, N)

so the cost is a few BLAS calls whatever the equation, never a Python loop over elements.

Backward: the output is linear in each operand, so the gradient of operand i is an einsum again,
of the output gradient with the other operands, giving operand i's labels:

    ∂L/∂Aᵢ = einsum(g, A₁, …, Aᵢ₋₁, Aᵢ₊₁, … → labels of Aᵢ)

A label of Aᵢ found nowhere else (summed over in the forward) gets the gradient broadcast along
it; a repeated label (a trace ``ii``) gets it on the diagonal; a size-1 axis that was broadcast
gets it summed back.

Double backward: the same gradients as one ``Einsum`` of Tensors each, the broadcast along a label
found nowhere else written as a factor of ones along it, and the diagonal of a repeated label as
an identity matrix that joins it to a fresh label of the result.
"""
from __future__ import annotations

import functools

import numpy as np

from ..autograd.function import Function

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATHS: dict = {}


def _label(ch: str) -> int:
    if ch not in _LETTERS:
        raise RuntimeError(f"einsum(): invalid subscript given at index 0 in the equation string, "
                           f"subscripts must be in [a-zA-Z]; got {ch!r}")
    return _LETTERS.index(ch)


@functools.lru_cache(maxsize=1024)
def parse(equation: str, shapes: tuple):
    """The labels of each operand and of the output, and each label's size.

    Labels are ints: 0–51 for the letters, 52… for the axes of ``...``.  A label whose axis is 1
    in one operand and n in another is broadcast (torch's rule); other mismatches raise."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    ell = 0
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            ell = max(ell, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not "
                               f"match the number of dimensions ({len(shape)}) for operand "
                               f"{terms.index(term)} and no ellipsis was given")
    ell_labels = list(range(52, 52 + ell))
    operands = []
    for term, shape in zip(terms, shapes):
        head, dots, tail = term.partition("...")
        labels = [_label(c) for c in head]
        if dots:
            k = len(shape) - len(head) - len(tail)
            if k < 0:
                raise RuntimeError("einsum(): the number of subscripts in the equation does not match "
                                   "the number of dimensions for an operand")
            labels += ell_labels[ell - k:]
        labels += [_label(c) for c in tail]
        operands.append(tuple(labels))
    sizes: dict = {}
    for i, (labels, shape) in enumerate(zip(operands, shapes)):
        for lab, n in zip(labels, shape):
            seen = sizes.get(lab, 1)
            if n != 1 and seen != 1 and n != seen:
                name = _LETTERS[lab] if lab < 52 else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {i} which does "
                                   f"not broadcast with previously seen size {seen}")
            sizes[lab] = max(seen, n) if n != 1 else seen
    if arrow:
        head, dots, tail = rhs.partition("...")
        out = [_label(c) for c in head] + (ell_labels if dots else []) + [_label(c) for c in tail]
        if len(set(out)) != len(out):
            raise RuntimeError("einsum(): output subscript appears more than once in the output")
        everywhere = {lab for labels in operands for lab in labels}
        for lab in out:
            if lab not in everywhere:
                raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} does not appear in the "
                                   f"equation for any input operand")
    else:  # implicit output: the ellipsis, then the letters that appear once, in alphabetical order
        counts: dict = {}
        for labels in operands:
            for lab in labels:
                counts[lab] = counts.get(lab, 0) + 1
        once = sorted((lab for lab, c in counts.items() if c == 1 and lab < 52), key=lambda l: _LETTERS[l])
        out = ell_labels + once
    return operands, tuple(out), sizes


def _reduce_alone(a, labels, keep):
    """Take the diagonal of repeated labels and sum out the labels not in ``keep``."""
    unique = tuple(dict.fromkeys(lab for lab in labels if lab in keep))
    if unique == labels:
        return a, labels
    return np.einsum(a, list(labels), list(unique)), unique


def _pair(a, la, b, lb, keep):
    """Contract two operands into the labels of ``keep`` they hold: one batched matmul."""
    a, la = _reduce_alone(a, la, keep | set(lb))
    b, lb = _reduce_alone(b, lb, keep | set(la))
    sb = set(lb)
    batch = [lab for lab in la if lab in sb and lab in keep]
    summed = [lab for lab in la if lab in sb and lab not in keep]
    left = [lab for lab in la if lab not in sb]
    right = [lab for lab in lb if lab not in set(la)]
    size = dict(zip(la, a.shape)) | dict(zip(lb, b.shape))
    nb, nm, nk, nn = (int(np.prod([size[lab] for lab in group], dtype=np.int64))
                      for group in (batch, left, summed, right))
    a3 = np.transpose(a, [la.index(lab) for lab in batch + left + summed]).reshape(nb, nm, nk)
    b3 = np.transpose(b, [lb.index(lab) for lab in batch + summed + right]).reshape(nb, nk, nn)
    out = np.matmul(a3, b3)
    labels = tuple(batch + left + right)
    return out.reshape([size[lab] for lab in labels]), labels


def contract(arrays, operands, out):
    """einsum of ``arrays`` (each with its labels in ``operands``) into the labels ``out``
    (unique, each present in some operand)."""
    arrays, operands = list(arrays), list(operands)
    if len(arrays) == 1:
        return np.einsum(arrays[0], list(operands[0]), list(out))
    if len(arrays) == 2:
        path = [(0, 1)]
    else:
        key = (tuple(operands), tuple(out), tuple(a.shape for a in arrays))
        path = _PATHS.get(key)
        if path is None:
            path = _PATHS[key] = _path(arrays, operands, out)
    for step in path:
        taken = [(arrays.pop(i), operands.pop(i)) for i in sorted(step, reverse=True)]
        x, lx = taken.pop()
        while taken:
            y, ly = taken.pop()
            keep = set(out).union(*operands, *(l for _, l in taken))
            x, lx = _pair(x, lx, y, ly, keep)
        arrays.append(x)
        operands.append(lx)
    (result,), (labels,) = arrays, operands
    result, labels = _reduce_alone(result, labels, set(out))
    return np.transpose(result, [labels.index(lab) for lab in out]) if labels != tuple(out) else result


def _path(arrays, operands, out):
    """NumPy's greedy contraction order, as a list of operand positions to contract."""
    distinct = list(dict.fromkeys(lab for labels in operands for lab in labels))
    if len(distinct) > len(_LETTERS):  # beyond NumPy's letters: left to right
        return [(0, 1)] * (len(arrays) - 1)
    letter = {lab: _LETTERS[k] for k, lab in enumerate(distinct)}
    eq = ",".join("".join(letter[lab] for lab in labels) for labels in operands)
    eq += "->" + "".join(letter[lab] for lab in out)
    dummies = [np.broadcast_to(np.zeros((), a.dtype), a.shape) for a in arrays]
    return np.einsum_path(eq, *dummies, optimize="greedy")[0][1:]


class Einsum(Function):
    """``einsum(equation, *operands)``; ``operands``/``out``/``sizes`` are the parsed labels."""

    __slots__ = ("arrays", "operands", "out", "sizes", "shapes")
    saves_inputs = True

    def forward(self, *arrays, operands=None, out=None, sizes=None):
        self.operands, self.out, self.sizes = operands, out, sizes
        self.shapes = [a.shape for a in arrays]
        full = [self._broadcast(a, labels) for a, labels in zip(arrays, operands)]
        self.arrays = full
        return contract(full, operands, out)

    def _broadcast(self, a, labels):
        target = tuple(self.sizes[lab] for lab in labels)
        return a if a.shape == target else np.broadcast_to(a, target)

    def backward(self, g):
        grads = []
        for i, (labels, shape) in enumerate(zip(self.operands, self.shapes)):
            if not self.needs_grad(i):
                grads.append(None)
                continue
            others = [a for j, a in enumerate(self.arrays) if j != i]
            other_labels = [l for j, l in enumerate(self.operands) if j != i]
            present = set(self.out).union(*other_labels)
            unique = tuple(dict.fromkeys(labels))
            found = tuple(lab for lab in unique if lab in present)
            grad = contract([g] + others, [self.out] + other_labels, found)
            if found != unique:  # labels summed over in the forward: the gradient is broadcast
                grad = np.expand_dims(grad, tuple(k for k, lab in enumerate(unique) if lab not in present))
                grad = np.broadcast_to(grad, [self.sizes[lab] for lab in unique])
            if unique != labels:  # a repeated label: the gradient lies on the diagonal
                full = np.zeros([self.sizes[lab] for lab in labels], dtype=g.dtype)
                np.einsum(full, list(labels), list(unique))[...] = grad
                grad = full
            if grad.shape != shape:  # an axis of size 1 broadcast against a larger one
                grad = np.sum(grad, axis=tuple(k for k, n in enumerate(shape) if n != grad.shape[k]),
                              keepdims=True)
            grads.append(np.ascontiguousarray(grad))
        return tuple(grads)

    def backward_graph(self, g):
        """Each operand's gradient as an einsum of Tensors (double backward); see the module's docstring."""
        grads = []
        dtype = g.array.dtype
        for i, labels in enumerate(self.operands):
            if not self.needs_grad(i):
                grads.append(None)
                continue
            terms = [(g, self.out)] + [(t, l) for j, (t, l) in enumerate(zip(self.inputs, self.operands)) if j != i]
            present = set().union(*(l for _, l in terms))
            sizes, out = dict(self.sizes), []
            for lab in labels:
                n = sizes[lab]
                if lab in out:  # a repeated label: δ(lab, fresh) puts the gradient on the diagonal
                    fresh = max(sizes) + 1
                    sizes[fresh] = n
                    terms.append((g._from_array(np.eye(n, dtype=dtype)), (lab, fresh)))
                    out.append(fresh)
                    continue
                if lab not in present:  # summed over in the forward: the gradient is the same along it
                    terms.append((g._from_array(np.ones(n, dtype=dtype)), (lab,)))
                    present.add(lab)
                out.append(lab)
            tensors, operands = zip(*terms)
            grads.append(Einsum.apply(*tensors, operands=operands, out=tuple(out), sizes=sizes))
        return tuple(grads)
