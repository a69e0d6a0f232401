"""Losses as single primitives, for stability (clamped logs, log-sum-exp) and speed (one node
per loss instead of a chain of element-wise ops): ``BinaryCrossEntropy``,
``BinaryCrossEntropyWithLogits``, ``CrossEntropy`` (class indices or probabilities, weights,
``ignore_index``, label smoothing) and ``NllLoss``.  ``mse_loss``, ``l1_loss`` and the robust losses
are compositions (``glassnet/nn/loss_functions.py``), so an explanation shows each step.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..autograd.function import Function
from .reduce import _maxes, _sums


def _reduce(loss, reduction):
    if reduction == "mean":  # sum / n is what ndarray.mean computes, without its Python overhead
        return loss.sum() / loss.size if loss.size else loss.dtype.type(np.nan)
    if reduction == "sum":
        return loss.sum()
    return loss


def _unreduce(g, reduction, count):
    """The upstream gradient of each element's loss: g/n for 'mean', g for 'sum' (a scalar that
    broadcasts in the products below), g itself (one per element) for 'none'."""
    return g / count if reduction == "mean" else g


class BinaryCrossEntropy(Function):
    """ℓ = −w·[y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)]  (torch clamps the logs).

    ∂ℓ/∂p = w·(p − y) / max(p(1 − p), 10⁻¹²);  ∂ℓ/∂y = w·(max(log(1−p), −100) − max(log p, −100)).
    """

    saves_inputs = True

    def forward(self, p, y, weight=None, reduction="mean"):
        p_lo, p_hi = np.minimum.reduce(p, axis=None), np.maximum.reduce(p, axis=None)
        if not (p_lo >= 0 and p_hi <= 1):  # (NaN fails too)
            raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy "
                               "takes probabilities; for raw scores use binary_cross_entropy_with_logits)")
        if not (np.minimum.reduce(y, axis=None) >= 0 and np.maximum.reduce(y, axis=None) <= 1):
            raise RuntimeError("all elements of target should be between 0 and 1")
        self.p, self.y, self.weight, self.reduction = p, y, weight, reduction
        if p_lo > 0 and p_hi < 1:  # no log of 0: skip the (slow) warning guard
            self.log_p = np.maximum(np.log(p), -100)
            self.log_1mp = np.maximum(np.log1p(-p), -100)
        else:
            with np.errstate(divide="ignore"):
                self.log_p = np.maximum(np.log(p), -100)
                self.log_1mp = np.maximum(np.log1p(-p), -100)
        loss = (y - 1) * self.log_1mp - y * self.log_p
        if weight is not None:
            loss = loss * weight
        return _reduce(loss, reduction)

    def backward(self, g):
        p, y, w = self.p, self.y, self.weight
        g = _unreduce(g, self.reduction, np.size(p))
        if w is not None:
            g = g * w
        gp = g * (p - y) / np.maximum((1 - p) * p, p.dtype.type(1e-12)) if self.needs_grad(0) else None
        gy = g * (self.log_1mp - self.log_p) if self.needs_grad(1) else None
        return gp, gy

    def backward_graph(self, g):
        """The same rule on Tensors (double backward), the clamps included."""
        p, y = self.inputs
        g = _unreduce(g, self.reduction, p.numel())
        if self.weight is not None:
            g = g * g._from_array(self.weight)
        gp = gy = None
        if self.needs_grad(0):
            gp = g * (p - y) / ((1 - p) * p).clamp(min=1e-12)
        if self.needs_grad(1):
            gy = g * ((-p).log1p().clamp(min=-100) - p.log().clamp(min=-100))
        return gp, gy


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = w·[(1 − y)·x + (1 + (q − 1)·y)·softplus(−x)],  q the ``pos_weight`` (1 if none),
    with softplus(−x) = max(−x, 0) + log(1 + e^−|x|): no exp overflows, even at x = ±1000.

    ∂ℓ/∂x = w·[(q·y + 1 − y)·σ(x) − q·y];  ∂ℓ/∂y = w·[−x + (q − 1)·softplus(−x)].
    """

    saves_inputs = True

    def forward(self, x, y, weight=None, pos_weight=None, reduction="mean"):
        self.x, self.y, self.weight, self.pos_weight, self.reduction = x, y, weight, pos_weight, reduction
        self.softplus = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is None:
            loss = (1 - y) * x + self.softplus
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * self.softplus
        if weight is not None:
            loss = loss * weight
        return _reduce(loss, reduction)

    def backward(self, g):
        x, y, q = self.x, self.y, self.pos_weight
        g = _unreduce(g, self.reduction, np.size(x))
        if self.weight is not None:
            g = g * self.weight
        gx = gy = None
        if self.needs_grad(0):
            s = expit(x)
            gx = g * (s - y if q is None else (q * y + 1 - y) * s - q * y)
        if self.needs_grad(1):
            gy = g * (-x if q is None else -x + (q - 1) * self.softplus)
        return gx, gy

    def backward_graph(self, g):
        """The same rule on Tensors (double backward)."""
        x, y = self.inputs
        q = None if self.pos_weight is None else g._from_array(self.pos_weight)
        g = _unreduce(g, self.reduction, x.numel())
        if self.weight is not None:
            g = g * g._from_array(self.weight)
        gx = gy = None
        if self.needs_grad(0):
            s = x.sigmoid()
            gx = g * (s - y if q is None else (q * y + 1 - y) * s - q * y)
        if self.needs_grad(1):
            softplus = (-x).clamp(min=0) + (-x.abs()).exp().log1p()
            gy = g * (-x if q is None else -x + (q - 1) * softplus)
        return gx, gy


def _log_softmax(x, axis):
    shifted = x - _maxes(x, axis)
    shifted -= np.log(_sums(np.exp(shifted), axis))
    return shifted


class CrossEntropy(Function):
    """Softmax cross-entropy over the class axis (1, or 0 for one unbatched sample).

    Every case is ℓᵢ = −Σ_c Aᵢc · log softmax(xᵢ)_c for some coefficients A:

    * class indices yᵢ: Aᵢc = (1−ε)·w_yᵢ·[c = yᵢ] + (ε/C)·w_c, and 0 where yᵢ = ignore_index;
      'mean' divides Σᵢ ℓᵢ by Σᵢ w_yᵢ over the samples not ignored;
    * class probabilities Yᵢc: Aᵢc = ((1−ε)·Yᵢc + ε/C)·w_c; 'mean' divides by the sample count.

    (ε is ``label_smoothing``, w the class weights, 1 if none.)  Then
    ∂ℓᵢ/∂xᵢc = softmax(xᵢ)_c · Σ_k Aᵢk − Aᵢc, one node instead of log-softmax + gather.
    """

    saves_inputs = True
    from_logits = True

    def forward(self, x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        axis = 1 if x.ndim > 1 else 0
        n_classes = x.shape[axis]
        self.axis, self.reduction, self.weight = axis, reduction, weight
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        logp = _log_softmax(x, axis) if self.from_logits else x
        self.logp = logp
        eps = label_smoothing
        w_c = None if weight is None else weight.reshape((-1,) + (1,) * (x.ndim - axis - 1))
        if target.dtype.kind == "f":  # class probabilities
            self.probabilities = True
            coef = target if eps == 0 else target * (1 - eps) + eps / n_classes
            if w_c is not None:
                coef = coef * w_c
            self.coef = coef
            per_sample = -np.sum(coef * logp, axis=axis)
            self.count = x.dtype.type(per_sample.size)
        else:
            self.probabilities = False
            valid = target != ignore_index
            out_of_range = valid & ((target < 0) | (target >= n_classes))
            if np.any(out_of_range):
                bad = np.asarray(target)[out_of_range].reshape(-1)[0]
                raise IndexError(f"Target {bad} is out of bounds.")
            idx = np.expand_dims(np.where(valid, target, 0), axis)
            w_y = valid.astype(x.dtype) if weight is None else np.where(valid, weight[idx.squeeze(axis)], 0)
            self.idx, self.valid, self.w_y = idx, valid, w_y.astype(x.dtype, copy=False)
            picked = np.take_along_axis(logp, idx, axis=axis).squeeze(axis)
            per_sample = np.where(valid, -self.w_y * picked, 0).astype(x.dtype, copy=False)
            if eps > 0:
                smooth = -np.sum(logp if w_c is None else logp * w_c, axis=axis)
                per_sample = (1 - eps) * per_sample + (eps / n_classes) * np.where(valid, smooth, 0)
            self.count = x.dtype.type(np.sum(self.w_y))
        self.n_classes = n_classes
        if reduction == "none":
            return per_sample[()] if per_sample.ndim == 0 else per_sample
        total = np.sum(per_sample)
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: nan, as torch
            return total / self.count

    def coefficients(self):
        """A (see the class docstring), dense, and Σ_c A."""
        axis, eps = self.axis, self.label_smoothing
        if self.probabilities:
            return self.coef, np.sum(self.coef, axis=axis, keepdims=True)
        a = np.zeros_like(self.logp)
        np.put_along_axis(a, self.idx, np.expand_dims((1 - eps) * self.w_y, axis), axis=axis)
        if eps > 0:
            w = 1 if self.weight is None else self.weight.reshape((-1,) + (1,) * (a.ndim - axis - 1))
            a += (eps / self.n_classes) * w * np.expand_dims(self.valid, axis)
        return a, np.sum(a, axis=axis, keepdims=True)

    def upstream(self, g):
        if self.reduction == "mean":  # every target ignored: A is all zero, and so is the gradient
            return g / self.count if self.count else g * 0
        if self.reduction == "none":
            return np.expand_dims(g, self.axis)
        return g

    def backward(self, g):
        g = self.upstream(g)
        gx = None
        if self.needs_grad(0) and self.from_logits and not self.probabilities and not self.label_smoothing:
            # A is w_y at each row's target and 0 elsewhere (so Σ_c A = w_y): softmax·w_y, minus
            # w_y at the targets only; the same numbers as the dense rule below, without building A.
            w_y = np.expand_dims(self.w_y, self.axis)
            gx = np.exp(self.logp) * w_y
            np.put_along_axis(gx, self.idx, np.take_along_axis(gx, self.idx, self.axis) - w_y, self.axis)
            gx *= g
        elif self.needs_grad(0):
            a, a_sum = self.coefficients()
            gx = (np.exp(self.logp) * a_sum - a if self.from_logits else -a) * g
            gx = gx.astype(self.logp.dtype, copy=False)
        gt = None
        if self.probabilities and self.needs_grad(1):
            a = self.coef
            w = 1 if self.weight is None else self.weight.reshape((-1,) + (1,) * (a.ndim - self.axis - 1))
            gt = -(1 - self.label_smoothing) * w * self.logp * g
        return gx, gt

    def backward_graph(self, g):
        """The same rule on Tensors (double backward); the coefficients A are constants."""
        x, wrap, axis = self.inputs[0], g._from_array, self.axis
        w = 1 if self.weight is None else wrap(self.weight.reshape((-1,) + (1,) * (x.ndim - axis - 1)))
        if self.probabilities:  # A depends on the target: build it from the target tensor
            eps = self.label_smoothing
            a = (self.inputs[1] * (1 - eps) + eps / self.n_classes if eps else self.inputs[1]) * w
            a_sum = a.sum(axis, keepdim=True)
        else:
            a, a_sum = map(wrap, self.coefficients())
        if self.reduction == "mean":
            g = g / self.count if self.count else g * 0
        elif self.reduction == "none":
            g = g.unsqueeze(axis)
        gx = gt = None
        if self.needs_grad(0):
            gx = ((x.softmax(axis) * a_sum - a) if self.from_logits else -a) * g
        if self.probabilities and self.needs_grad(1):
            gt = -(1 - self.label_smoothing) * w * (x.log_softmax(axis) if self.from_logits else x) * g
        return gx, gt


class NllLoss(CrossEntropy):
    """ℓᵢ = −w_yᵢ · xᵢ,yᵢ for log-probabilities x; ∂ℓᵢ/∂xᵢc = −w_yᵢ·[c = yᵢ]; 'mean' divides
    by Σᵢ w_yᵢ over the samples not ignored."""

    from_logits = False
