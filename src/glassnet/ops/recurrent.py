"""Recurrent layers: ``RNNLayer`` (tanh or ReLU), ``LSTMLayer`` and ``GRULayer``, one node per
layer and direction of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (the cells are these with T = 1).

Names: x (T, B, I) the input, time first; h (B, H) the hidden state, c (B, H) the LSTM's cell
state; W_ih (G·H, I), W_hh (G·H, H), b_ih, b_hh (G·H,) with G gates stacked in torch's order
(LSTM i, f, g, o; GRU r, z, n; RNN one).  ``reverse=True`` runs the sequence backwards (the
``_reverse`` direction of a bidirectional layer): step s reads x[T−1−s].

**Forward.** The input projections of all time steps are one matrix product,
``XW = X·W_ihᵀ + b_ih`` of shape (T, B, G·H); then, per step, one ``h·W_hhᵀ`` and the gate
nonlinearities — the only Python loop is over the T time steps.

**Backward** is backpropagation through time: the steps are walked in reverse, carrying ∂L/∂h
(and ∂L/∂c) from step s+1 to step s; each step's gradient with respect to its gate
pre-activations ``dA[s]`` is kept, and the weight gradients are then one matrix product each over
all steps: ∂L/∂W_ih = Σ_s dA[s]ᵀ·x_s, ∂L/∂W_hh = Σ_s dA_h[s]ᵀ·h_{s−1}, ∂L/∂x_s = dA[s]·W_ih.
What a step needs (local derivatives of the nonlinearities) is computed for all steps at once
before the walk, so each step is a handful of NumPy calls.

**What the node keeps** (documented for ``glassnet.explain``; all in *processing* order s, which
is time order t = s forwards and t = T−1−s for ``reverse``):

* ``gates`` (T, B, G·H): the gates after their nonlinearities (LSTM [i | f | g | o],
  GRU [r | z | n], RNN the new state itself);
* ``h`` (T+1, B, H): h[0] = h₀, h[s+1] the state after step s;
* ``c`` (T+1, B, H) (LSTM): c[0] = c₀, c[s+1] the cell state after step s; ``tanh_c`` (T, B, H);
  with projections ``h`` is (T+1, B, P) and ``r`` (T, B, H) is o ⊙ tanh c before W_hr;
* ``whn`` (T, B, H) (GRU): W_hn·h_{s−1} + b_hn, the part r multiplies.

**Output.** One array: the states in time order (T rows), then the final state h_T (RNN/GRU:
(T+1, B, H)), and for the LSTM also the final cell state c_T ((T+2, B, H)); the module slices
out output, h_n and c_n.

**Sequences of different lengths** (``batch_sizes``, from a ``PackedSequence``; the batch sorted
by decreasing length, ``batch_sizes[t]`` = how many sequences have a step t): at step t only the
first batch_sizes[t] rows advance; the others keep their state (h_s = h_{s−1}, so their final
state is the one after their own last step, and a reversed sequence starts from h₀ at its own
last step) and output 0 there.  Backward: those rows pass ∂L/∂h (and ∂L/∂c) through unchanged
and get no gate gradient.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function

__all__ = ["RNNLayer", "LSTMLayer", "GRULayer"]


def _projection(x, w_ih, bias):
    """XW = X·W_ihᵀ + bias for all T·B rows at once: (T, B, G·H)."""
    T, B, I = x.shape
    xw = np.dot(x.reshape(T * B, I), w_ih.T).reshape(T, B, w_ih.shape[0])
    if bias is not None:
        xw += bias
    return xw


def _halved(a, rows):
    """A copy of ``a`` with the given row ranges (the sigmoid gates) times ½: σ(z) = ½(1 + tanh(z/2)),
    so a step takes one ``np.tanh`` over all its gates (NumPy's tanh is vectorized; SciPy's
    ``expit`` is about ten times slower on a step's few thousand values)."""
    a = a.copy()
    for lo, hi in rows:
        a[lo:hi] *= 0.5
    return a


def _input_grads(node, dxw, x, w_ih, first_w: int, has_bias=None):
    """∂L/∂x, ∂L/∂W_ih and ∂L/∂b_ih from dXW (T, B, G·H) in processing order (the inputs' part
    of the chain rule, shared by the three layers): ∂L/∂x_t = dXW_t·W_ih, ∂L/∂W_ih = Σ dXWᵀ·x,
    ∂L/∂b_ih = Σ dXW."""
    T, B, I = x.shape
    d2 = dxw.reshape(T * B, -1)
    xs = x[::-1] if node.reverse else x                  # x in processing order, as dXW is
    gx = np.dot(d2, w_ih).reshape(T, B, I) if node.needs_grad(0) else None
    if gx is not None and node.reverse:
        gx = gx[::-1]
    gw = np.dot(d2.T, xs.reshape(T * B, I)) if node.needs_grad(first_w) else None
    # Σ over rows as a product with a row of ones (as ops.linalg.Linear does: faster than .sum)
    if has_bias is None:
        has_bias = len(node.inputs) > first_w + 2
    gb = (np.dot(np.ones(len(d2), dtype=d2.dtype), d2)
          if has_bias and node.needs_grad(first_w + 2) else None)
    return gx, gw, gb


def _steps(batch_sizes, T: int, B: int) -> list:
    """Rows that advance at each time t: all B, or batch_sizes[t] (sequences of different lengths)."""
    return [B] * T if batch_sizes is None else [int(k) for k in batch_sizes]


def _output(h, reverse, ks, *finals):
    """The node's output: the states h[1:] (processing order) in time order, 0 where a sequence has
    ended, then the final states."""
    T, B, H = len(h) - 1, h.shape[1], h.shape[2]
    out = np.empty((T + len(finals), B, H), dtype=h.dtype)
    out[:T] = h[:0:-1] if reverse else h[1:]
    for t, k in enumerate(ks):
        if k < B:
            out[t, k:] = 0
    for j, f in enumerate(finals):
        out[T + j] = f
    return out


class RNNLayer(Function):
    """Elman RNN: h_s = act(x_t·W_ihᵀ + b_ih + h_{s−1}·W_hhᵀ + b_hh), act = tanh or relu.

    Inputs: x (T, B, I), h0 (B, H), W_ih (H, I), W_hh (H, H), [b_ih (H,), b_hh (H,)].
    Chain rule per step: dA_s = (∂L/∂h_s) ⊙ act′ (tanh′ = 1 − h_s², relu′ = [h_s > 0]);
    ∂L/∂h_{s−1} = dA_s·W_hh (plus the output's own gradient at that step).
    """

    saves_inputs = True

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False,
                batch_sizes=None):
        self.reverse, self.nonlinearity = reverse, nonlinearity
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        T, B, _ = x.shape
        self.ks = ks = _steps(batch_sizes, T, B)
        H = w_hh.shape[1]
        xw = _projection(x, w_ih, None if b_ih is None else b_ih + b_hh)
        h = np.empty((T + 1, B, H), dtype=xw.dtype)
        h[0] = h0
        w_hhT = np.ascontiguousarray(w_hh.T)                  # contiguous: BLAS is faster
        relu = nonlinearity == "relu"
        for s in range(T):
            t = T - 1 - s if reverse else s
            a = np.dot(h[s], w_hhT, out=h[s + 1])
            a += xw[t]
            if relu:
                np.maximum(a, 0, out=a)
            else:
                np.tanh(a, out=a)
            if ks[t] < B:                                # ended sequences keep their state
                h[s + 1, ks[t]:] = h[s, ks[t]:]
        self.h = h
        self.gates = h[1:]
        return _output(h, reverse, ks, h[T])

    def backward(self, g):
        h, w_hh = self.h, self.w_hh
        T, B = len(h) - 1, h.shape[1]
        # the local derivative act′ of every step at once
        d = (h[1:] > 0).astype(g.dtype) if self.nonlinearity == "relu" else 1 - h[1:] * h[1:]
        da = np.empty_like(d)
        dh = np.array(g[T])                          # ∂L/∂h_T from h_n
        for s in range(T - 1, -1, -1):
            t = T - 1 - s if self.reverse else s
            k = self.ks[t]
            dh[:k] += g[t, :k]                       # ∂L/∂h_s: from the output and from step s+1
            keep = dh[k:].copy()                     # (rows whose sequence has ended: passed on)
            np.multiply(dh, d[s], out=da[s])         # dA_s = ∂L/∂h_s ⊙ act′
            da[s, k:] = 0
            dh = np.dot(da[s], w_hh)                 # ∂L/∂h_{s−1} through h_{s−1}·W_hhᵀ
            dh[k:] = keep
        gx, gw_ih, gb = _input_grads(self, da, self.x, self.w_ih, 2)
        H = w_hh.shape[1]
        gw_hh = np.dot(da.reshape(-1, H).T, h[:-1].reshape(-1, H)) if self.needs_grad(3) else None
        return (gx, dh if self.needs_grad(1) else None, gw_ih, gw_hh) + (
            (gb, gb if self.needs_grad(5) else None) if len(self.inputs) == 6 else ())


class LSTMLayer(Function):
    """LSTM, torch's gate order i, f, g, o:

        [a_i | a_f | a_g | a_o] = x_t·W_ihᵀ + b_ih + h_{s−1}·W_hhᵀ + b_hh
        i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
        c_s = f ⊙ c_{s−1} + i ⊙ g,   h_s = o ⊙ tanh(c_s)

    Inputs: x (T, B, I), h0, c0 (B, H), W_ih (4H, I), W_hh (4H, H), [b_ih, b_hh (4H,)].
    Chain rule per step, with ∂L/∂h_s = (output gradient at t) + (from step s+1) and ∂L/∂c carried:

        ∂L/∂c_s  += ∂L/∂h_s ⊙ o ⊙ (1 − tanh²c_s)
        dA_i = ∂L/∂c_s ⊙ g ⊙ i(1−i)          dA_f = ∂L/∂c_s ⊙ c_{s−1} ⊙ f(1−f)
        dA_g = ∂L/∂c_s ⊙ i ⊙ (1−g²)           dA_o = ∂L/∂h_s ⊙ tanh c_s ⊙ o(1−o)
        ∂L/∂c_{s−1} = ∂L/∂c_s ⊙ f,   ∂L/∂h_{s−1} = dA_s·W_hh

    The factors multiplying ∂L/∂c_s and ∂L/∂h_s (K below) depend on forward values only, so they
    are computed for all steps before the walk.

    **Projections** (torch's ``proj_size``; ``proj=True``, W_hr (P, H) the last input):
    r_s = o ⊙ tanh(c_s), h_s = r_s·W_hrᵀ of width P < H, and W_hh is (4H, P).  The chain rule
    above then reads ∂L/∂r_s = ∂L/∂h_s·W_hr where it had ∂L/∂h_s, and ∂L/∂W_hr = Σ_s ∂L/∂h_sᵀ·r_s.
    The node keeps ``r`` (T, B, H); its output is (T+2, B, H) with the h rows (width P) padded
    with zeros on the right.
    """

    saves_inputs = True

    def forward(self, x, h0, c0, w_ih, w_hh, *rest, reverse=False, batch_sizes=None, proj=False):
        # rest: (b_ih, b_hh), (b_ih, b_hh, w_hr), (w_hr,) with proj, or nothing
        w_hr = rest[-1] if proj else None
        b_ih, b_hh = rest[:2] if len(rest) - proj == 2 else (None, None)
        self.reverse, self.proj, self.has_bias = reverse, proj, b_ih is not None
        self.x, self.w_ih, self.w_hh, self.w_hr = x, w_ih, w_hh, w_hr
        T, B, _ = x.shape
        self.ks = ks = _steps(batch_sizes, T, B)
        H = w_ih.shape[0] // 4
        P = w_hh.shape[1]                                      # H, or proj_size
        sig = ((0, 2 * H), (3 * H, 4 * H))                     # the rows of i, f and o
        xw = _projection(x, _halved(w_ih, sig), None if b_ih is None else _halved(b_ih + b_hh, sig))
        dt = xw.dtype
        gates = np.empty((T, B, 4 * H), dtype=dt)
        h = np.empty((T + 1, B, P), dtype=dt)
        c = np.empty((T + 1, B, H), dtype=dt)
        tanh_c = np.empty((T, B, H), dtype=dt)
        r = np.empty((T, B, H), dtype=dt) if proj else None   # o ⊙ tanh c_s, before W_hr
        h[0], c[0] = h0, c0
        w_hhT = np.ascontiguousarray(_halved(w_hh, sig).T)   # contiguous: BLAS is faster
        w_hrT = np.ascontiguousarray(w_hr.T) if proj else None
        tmp = np.empty((B, H), dtype=dt)
        for s in range(T):
            t = T - 1 - s if reverse else s
            a = np.dot(h[s], w_hhT, out=gates[s])
            a += xw[t]                                       # [a_i/2 | a_f/2 | a_g | a_o/2]
            np.tanh(a, out=a)
            for lo, hi in sig:                               # i, f, o = ½(1 + tanh(a/2))
                a[:, lo:hi] *= 0.5
                a[:, lo:hi] += 0.5
            np.multiply(a[:, H:2 * H], c[s], out=c[s + 1])   # f ⊙ c_{s−1}
            np.multiply(a[:, :H], a[:, 2 * H:3 * H], out=tmp)
            c[s + 1] += tmp                                  # + i ⊙ g
            np.tanh(c[s + 1], out=tanh_c[s])
            if proj:                                         # h_s = (o ⊙ tanh c_s)·W_hrᵀ
                np.multiply(a[:, 3 * H:], tanh_c[s], out=r[s])
                np.dot(r[s], w_hrT, out=h[s + 1])
            else:
                np.multiply(a[:, 3 * H:], tanh_c[s], out=h[s + 1])  # o ⊙ tanh c_s
            if ks[t] < B:                                    # ended sequences keep their state
                h[s + 1, ks[t]:], c[s + 1, ks[t]:] = h[s, ks[t]:], c[s, ks[t]:]
        self.gates, self.h, self.c, self.tanh_c, self.r = gates, h, c, tanh_c, r
        if not proj:
            return _output(h, reverse, ks, h[T], c[T])
        out = np.zeros((T + 2, B, H), dtype=dt)               # h (width P < H) padded with zeros
        out[:T + 1, :, :P] = _output(h, reverse, ks, h[T])
        out[T + 1] = c[T]
        return out

    def backward(self, g):
        gates, c, tc, w_hh, w_hr = self.gates, self.c, self.tanh_c, self.w_hh, self.w_hr
        T, B, H4 = gates.shape
        H, P = H4 // 4, w_hh.shape[1]
        i, f, gg, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        # K[s] (T, B, 4, H): dA = [K_i, K_f, K_g]·∂L/∂c_s and K_o·∂L/∂r_s (see the docstring)
        K = np.empty((T, B, 4, H), dtype=gates.dtype)
        K[:, :, 0] = gg * i * (1 - i)
        K[:, :, 1] = c[:-1] * f * (1 - f)
        K[:, :, 2] = i * (1 - gg * gg)
        K[:, :, 3] = tc * o * (1 - o)
        Pc = o * (1 - tc * tc)                     # ∂c-contribution of ∂L/∂r_s: o ⊙ (1 − tanh²c)
        dA = np.empty((T, B, 4, H), dtype=gates.dtype)
        gh = g[..., :P] if self.proj else g        # the h rows' gradient (the padding dropped)
        dH = np.empty((T, B, P), dtype=gates.dtype) if self.proj else None
        dh = np.array(gh[T])                       # ∂L/∂h_T from h_n
        dc = np.array(g[T + 1])                    # ∂L/∂c_T from c_n
        for s in range(T - 1, -1, -1):
            t = T - 1 - s if self.reverse else s
            k = self.ks[t]
            dh[:k] += gh[t, :k]                                   # ∂L/∂h_s
            keep_h, keep_c = dh[k:].copy(), dc[k:].copy()         # (ended rows: passed on)
            if self.proj:                                         # ∂L/∂r_s = ∂L/∂h_s·W_hr
                dH[s] = dh
                dH[s, k:] = 0
                dr = np.dot(dh, w_hr)
            else:
                dr = dh
            dc += dr * Pc[s]                                      # ∂L/∂c_s
            np.multiply(K[s, :, :3], dc[:, None, :], out=dA[s, :, :3])  # dA_i, dA_f, dA_g
            np.multiply(K[s, :, 3], dr, out=dA[s, :, 3])          # dA_o
            dA[s, k:] = 0
            dc *= f[s]                                            # ∂L/∂c_{s−1}
            dh = np.dot(dA[s].reshape(B, H4), w_hh)               # ∂L/∂h_{s−1}
            dh[k:], dc[k:] = keep_h, keep_c
        dA = dA.reshape(T, B, H4)
        gx, gw_ih, gb = _input_grads(self, dA, self.x, self.w_ih, 3, self.has_bias)
        hp = self.h[:-1].reshape(-1, P)
        gw_hh = np.dot(dA.reshape(-1, H4).T, hp) if self.needs_grad(4) else None
        grads = (gx, dh if self.needs_grad(1) else None, dc if self.needs_grad(2) else None,
                 gw_ih, gw_hh)
        if self.has_bias:
            grads += (gb, gb if self.needs_grad(6) else None)
        if self.proj:                              # ∂L/∂W_hr = Σ_s ∂L/∂h_sᵀ·r_s
            grads += (np.dot(dH.reshape(-1, P).T, self.r.reshape(-1, H))
                      if self.needs_grad(len(self.inputs) - 1) else None,)
        return grads


class GRULayer(Function):
    """GRU, torch's gate order r, z, n (b_hn inside the reset gate's product, as torch has it):

        [x_r | x_z | x_n] = x_t·W_ihᵀ + b_ih,   [h_r | h_z | h_n] = h_{s−1}·W_hhᵀ + b_hh
        r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n)
        h_s = (1 − z) ⊙ n + z ⊙ h_{s−1}

    Inputs: x (T, B, I), h0 (B, H), W_ih (3H, I), W_hh (3H, H), [b_ih, b_hh (3H,)].
    Chain rule per step, δ = ∂L/∂h_s:

        dA_n = δ ⊙ (1−z) ⊙ (1−n²)                (∂L/∂x_n; ∂L/∂h_n = dA_n ⊙ r)
        dA_z = δ ⊙ (h_{s−1} − n) ⊙ z(1−z)
        dA_r = dA_n ⊙ h_n ⊙ r(1−r)
        ∂L/∂h_{s−1} = δ ⊙ z + [dA_r | dA_z | dA_n ⊙ r]·W_hh

    Every term is δ times a factor of forward values (K below, computed for all steps at once).
    """

    saves_inputs = True

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, batch_sizes=None):
        self.reverse = reverse
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        T, B, _ = x.shape
        self.ks = ks = _steps(batch_sizes, T, B)
        H = w_hh.shape[1]
        sig = ((0, 2 * H),)                                     # the rows of r and z
        xw = _projection(x, _halved(w_ih, sig), None if b_ih is None else _halved(b_ih, sig))
        b_hh = None if b_hh is None else _halved(b_hh, sig)
        dt = xw.dtype
        gates = np.empty((T, B, 3 * H), dtype=dt)
        whn = np.empty((T, B, H), dtype=dt)
        h = np.empty((T + 1, B, H), dtype=dt)
        h[0] = h0
        w_hhT = np.ascontiguousarray(_halved(w_hh, sig).T)   # contiguous: BLAS is faster
        hw = np.empty((B, 3 * H), dtype=dt)
        for s in range(T):
            t = T - 1 - s if reverse else s
            np.dot(h[s], w_hhT, out=hw)
            if b_hh is not None:
                hw += b_hh
            a = gates[s]
            rz = np.add(xw[t, :, :2 * H], hw[:, :2 * H], out=a[:, :2 * H])
            np.tanh(rz, out=rz)                                # r, z = ½(1 + tanh(a/2))
            rz *= 0.5
            rz += 0.5
            whn[s] = hw[:, 2 * H:]
            n = a[:, 2 * H:]
            np.multiply(a[:, :H], hw[:, 2 * H:], out=n)
            n += xw[t, :, 2 * H:]
            np.tanh(n, out=n)                                  # n
            np.subtract(h[s], n, out=h[s + 1])
            h[s + 1] *= a[:, H:2 * H]
            h[s + 1] += n                                      # n + z ⊙ (h_{s−1} − n)
            if ks[t] < B:                                      # ended sequences keep their state
                h[s + 1, ks[t]:] = h[s, ks[t]:]
        self.gates, self.h, self.whn = gates, h, whn
        return _output(h, reverse, ks, h[T])

    def backward(self, g):
        gates, h, w_hh = self.gates, self.h, self.w_hh
        T, B, H3 = gates.shape
        H = H3 // 3
        r, z, n = (gates[..., k * H:(k + 1) * H] for k in range(3))
        K = np.empty((T, B, 3, H), dtype=gates.dtype)       # dA_x = δ ⊙ K (for x's projection)
        K[:, :, 2] = (1 - z) * (1 - n * n)
        K[:, :, 1] = (h[:-1] - n) * z * (1 - z)
        K[:, :, 0] = K[:, :, 2] * self.whn * r * (1 - r)
        dXW = np.empty((T, B, 3, H), dtype=gates.dtype)
        dHW = np.empty((T, B, 3, H), dtype=gates.dtype)
        dh = np.array(g[T])                                     # ∂L/∂h_T from h_n
        for s in range(T - 1, -1, -1):
            t = T - 1 - s if self.reverse else s
            k = self.ks[t]
            dh[:k] += g[t, :k]                                  # δ = ∂L/∂h_s
            keep = dh[k:].copy()                                # (ended rows: passed on)
            np.multiply(K[s], dh[:, None, :], out=dXW[s])       # dA_r, dA_z, dA_n
            dXW[s, k:] = 0
            dHW[s] = dXW[s]
            dHW[s, :, 2] *= r[s]                                # ∂L/∂h_n = dA_n ⊙ r
            dh = dh * z[s] + np.dot(dHW[s].reshape(B, H3), w_hh)  # ∂L/∂h_{s−1}
            dh[k:] = keep
        dXW, dHW = dXW.reshape(T, B, H3), dHW.reshape(T, B, H3)
        gx, gw_ih, gb_ih = _input_grads(self, dXW, self.x, self.w_ih, 2)
        gw_hh = np.dot(dHW.reshape(-1, H3).T, h[:-1].reshape(-1, H)) if self.needs_grad(3) else None
        grads = (gx, dh if self.needs_grad(1) else None, gw_ih, gw_hh)
        if len(self.inputs) == 6:
            grads += (gb_ih, np.dot(np.ones(T * B, dtype=dHW.dtype), dHW.reshape(-1, H3))
                       if self.needs_grad(5) else None)
        return grads
