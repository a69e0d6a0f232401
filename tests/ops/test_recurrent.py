"""The recurrent primitives (``ops/recurrent.py``: ``RNNLayer``, ``LSTMLayer``, ``GRULayer``, one
layer and one direction each) agree with PyTorch's one-layer ``nn.RNN``/``LSTM``/``GRU`` with the
same weights: values and the gradients of the input, the initial states and every weight and bias,
float64 and float32, forwards and reversed (torch's reverse direction is the forward one run on
the flipped sequence), over sequence lengths, batch, input and hidden sizes drawn by hypothesis;
and a float64 gradcheck of each primitive at small sizes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
from glassnet.autograd import gradcheck
from glassnet.ops.recurrent import GRULayer, LSTMLayer, RNNLayer
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

NP = {"float64": np.float64, "float32": np.float32}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _arrays(mode, T, B, I, H, bias, dtype, seed):
    rng = np.random.default_rng(seed)
    G = GATES[mode] * H
    x = rng.normal(size=(T, B, I)).astype(dtype)
    states = [rng.normal(size=(B, H)).astype(dtype) for _ in range(2 if mode == "LSTM" else 1)]
    weights = [rng.uniform(-0.6, 0.6, size=s).astype(dtype) for s in ((G, I), (G, H))]
    if bias:
        weights += [rng.uniform(-0.6, 0.6, size=(G,)).astype(dtype) for _ in range(2)]
    return x, states, weights


def _glassnet(mode, x, states, weights, reverse, up):
    ts = [glassnet.tensor(a.copy(), requires_grad=True) for a in [x, *states, *weights]]
    if mode == "LSTM":
        out = LSTMLayer.apply(*ts, reverse=reverse)
    elif mode == "GRU":
        out = GRULayer.apply(*ts, reverse=reverse)
    else:
        out = RNNLayer.apply(*ts, reverse=reverse, nonlinearity=mode[4:].lower())
    out.backward(glassnet.tensor(up))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def _torch(mode, x, states, weights, reverse, up):
    """torch's one-layer module with these weights; the node's packed output rebuilt from it."""
    T = len(x)
    ts = [torch.tensor(a.copy(), requires_grad=True) for a in [x, *states, *weights]]
    I, H = x.shape[2], weights[1].shape[1]
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}.get(mode, torch.nn.RNN)
    kw = {"nonlinearity": mode[4:].lower()} if mode.startswith("RNN") else {}
    m = cls(I, H, bias=len(weights) == 4, **kw).to(torch.float64 if x.dtype == np.float64 else torch.float32)
    n = len(states)
    xs = ts[0].flip(0) if reverse else ts[0]
    hx = tuple(s.unsqueeze(0) for s in ts[1:1 + n])
    params = dict(zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], ts[1 + n:]))
    out, hn = torch.func.functional_call(m, params, (xs, hx if mode == "LSTM" else hx[0]))
    if reverse:
        out = out.flip(0)
    out = torch.cat([out, *hn], 0) if mode == "LSTM" else torch.cat([out, hn], 0)
    out.backward(torch.tensor(up))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def _assert_close(a, b, dtype, steps):
    rtol, atol = TOL[dtype]
    if dtype == "float32":   # T steps of sums in another order: errors grow with the steps
        rtol, atol = rtol * 4 * steps, atol * 4 * steps
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
@given(T=st.integers(1, 6), B=st.integers(1, 4), I=st.integers(1, 5), H=st.integers(1, 6),
       bias=st.booleans(), reverse=st.booleans(), seed=st.integers(0, 2**16))
def test_layer_values_and_all_gradients_match_torch(mode, dtype, T, B, I, H, bias, reverse, seed):
    x, states, weights = _arrays(mode, T, B, I, H, bias, NP[dtype], seed)
    rows = T + 2 if mode == "LSTM" else T + 1
    up = np.random.default_rng(seed + 1).uniform(-1, 1, size=(rows, B, H)).astype(NP[dtype])
    gv, gg = _glassnet(mode, x, states, weights, reverse, up)
    tv, tg = _torch(mode, x, states, weights, reverse, up)
    assert gv.shape == tv.shape and gv.dtype == tv.dtype
    _assert_close(gv, tv, dtype, T)
    for a, b in zip(gg, tg):
        assert a.shape == b.shape and a.dtype == b.dtype
        _assert_close(a, b, dtype, T)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
def test_gradcheck_float64(mode, reverse):
    x, states, weights = _arrays(mode, 3, 2, 3, 2, True, np.float64, 5)
    ts = [glassnet.tensor(a, requires_grad=True) for a in [x, *states, *weights]]
    op = {"LSTM": LSTMLayer, "GRU": GRULayer}.get(mode, RNNLayer)
    kw = {"nonlinearity": mode[4:].lower()} if op is RNNLayer else {}
    assert gradcheck(lambda *a: op.apply(*a, reverse=reverse, **kw), ts)


def test_lstm_node_keeps_gates_and_states_in_processing_order():
    x, (h0, c0), w = _arrays("LSTM", 4, 2, 3, 2, True, np.float64, 1)
    node = LSTMLayer()
    out = node.forward(x, h0, c0, *w, reverse=True)
    H = 2
    i, f, g, o = (node.gates[..., k * H:(k + 1) * H] for k in range(4))
    np.testing.assert_allclose(node.c[1:], f * node.c[:-1] + i * g)
    np.testing.assert_allclose(node.h[1:], o * np.tanh(node.c[1:]))
    a0 = x[3] @ w[0].T + w[2] + h0 @ w[1].T + w[3]        # reverse: step 0 reads the last x
    np.testing.assert_allclose(i[0], 1 / (1 + np.exp(-a0[:, :H])))
    np.testing.assert_allclose(out[3], node.h[1])          # time 3 is processing step 0
    np.testing.assert_allclose(out[4], node.h[4])          # then h_T and c_T
    np.testing.assert_allclose(out[5], node.c[4])


def _proj_arrays(T, B, I, H, P, bias, dtype, seed):
    """x, (h0 (B, P), c0 (B, H)) and [W_ih, W_hh (4H, P), (b_ih, b_hh), W_hr (P, H)]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, I)).astype(dtype)
    states = [rng.normal(size=(B, P)).astype(dtype), rng.normal(size=(B, H)).astype(dtype)]
    shapes = [(4 * H, I), (4 * H, P)] + ([(4 * H,), (4 * H,)] if bias else []) + [(P, H)]
    return x, states, [rng.uniform(-0.6, 0.6, size=s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(T=st.integers(1, 6), B=st.integers(1, 4), I=st.integers(1, 5), H=st.integers(2, 6),
       data=st.data(), bias=st.booleans(), reverse=st.booleans(), seed=st.integers(0, 2**16))
def test_lstm_projection_matches_torch(dtype, T, B, I, H, data, bias, reverse, seed):
    """``proj=True`` (torch's ``LSTM(proj_size=P)``): the output's h rows are P wide, padded to
    H with zeros; values and every gradient (W_hr's included) as torch's."""
    P = data.draw(st.integers(1, H - 1))
    x, states, weights = _proj_arrays(T, B, I, H, P, bias, NP[dtype], seed)
    up = np.random.default_rng(seed + 1).uniform(-1, 1, size=(T + 2, B, H)).astype(NP[dtype])
    up[:T + 1, :, P:] = 0          # the padding is no output of torch's
    ts = [glassnet.tensor(a.copy(), requires_grad=True) for a in [x, *states, *weights]]
    out = LSTMLayer.apply(*ts, reverse=reverse, proj=True)
    out.backward(glassnet.tensor(up))
    gv, gg = out.detach().numpy(), [t.grad.numpy() for t in ts]
    assert np.all(gv[:T + 1, :, P:] == 0)

    tt = [torch.tensor(a.copy(), requires_grad=True) for a in [x, *states, *weights]]
    m = torch.nn.LSTM(I, H, bias=bias, proj_size=P).to(torch.float64 if dtype == "float64" else torch.float32)
    names = ["weight_ih_l0", "weight_hh_l0"] + (["bias_ih_l0", "bias_hh_l0"] if bias else []) + ["weight_hr_l0"]
    xs = tt[0].flip(0) if reverse else tt[0]
    y, (hn, cn) = torch.func.functional_call(m, dict(zip(names, tt[3:])),
                                             (xs, (tt[1].unsqueeze(0), tt[2].unsqueeze(0))))
    y = y.flip(0) if reverse else y
    tv = torch.cat([y, hn], 0)
    (tv * torch.tensor(up[:T + 1, :, :P])).sum().add((cn[0] * torch.tensor(up[T + 1])).sum()).backward()
    _assert_close(gv[:T + 1, :, :P], tv.detach().numpy(), dtype, T)
    _assert_close(gv[T + 1], cn[0].detach().numpy(), dtype, T)
    for a, b in zip(gg, [t.grad.numpy() for t in tt]):
        assert a.shape == b.shape and a.dtype == b.dtype
        _assert_close(a, b, dtype, T)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_projection_gradcheck_float64(reverse, bias):
    x, states, weights = _proj_arrays(3, 2, 3, 3, 2, bias, np.float64, 7)
    ts = [glassnet.tensor(a, requires_grad=True) for a in [x, *states, *weights]]
    assert gradcheck(lambda *a: LSTMLayer.apply(*a, reverse=reverse, proj=True), ts)
