"""``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells against PyTorch with the same weights (a
state dict copied across): outputs, final states and the gradients of the input, the initial states
and every parameter, float64 and float32, over layers, directions, batch_first, sequence lengths,
batch and hidden sizes, given or default initial states and unbatched input (hypothesis); and
torch's state_dict keys, reprs, init bounds, errors and dropout between layers."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn as gnn
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

NP = {"float64": np.float64, "float32": np.float32}
TDT = {"float64": torch.float64, "float32": torch.float32}
GDT = {"float64": glassnet.float64, "float32": glassnet.float32}


def _copy(g, t):
    g.load_state_dict({k: glassnet.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})


def _close(a, b, dtype, steps):
    rtol, atol = TOL[dtype]
    if dtype == "float32":   # sums over steps and layers in another order
        rtol, atol = rtol * 4 * steps, atol * 4 * steps
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _flat(out):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    y, h = out
    return [y, *h] if isinstance(h, tuple) else [y, h]


def _run(lib, model, x, states, seed):
    xs = lib.tensor(x.copy(), requires_grad=True)
    ss = None if states is None else [lib.tensor(s.copy(), requires_grad=True) for s in states]
    hx = None if ss is None else (tuple(ss) if len(ss) == 2 else ss[0])
    outs = _flat(model(xs, hx))
    rng = np.random.default_rng(seed)
    loss = sum((o * lib.tensor(rng.uniform(-1, 1, size=tuple(o.shape)).astype(x.dtype))).sum() for o in outs)
    loss.backward()
    grads = [xs.grad] + ([] if ss is None else [s.grad for s in ss]) + [p.grad for p in model.parameters()]
    return [o.detach().numpy() for o in outs], [g.numpy() for g in grads]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["RNN", "RNN(relu)", "LSTM", "GRU"])
@given(layers=st.integers(1, 3), bidirectional=st.booleans(), batch_first=st.booleans(),
       T=st.integers(1, 5), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 5),
       bias=st.booleans(), given_states=st.booleans(), unbatched=st.booleans(), seed=st.integers(0, 999))
def test_modules_match_torch(name, dtype, layers, bidirectional, batch_first, T, B, I, H, bias,
                             given_states, unbatched, seed):
    cls, kw = (name[:3], {"nonlinearity": "relu"}) if name == "RNN(relu)" else (name, {})
    args = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias, **kw)
    torch.manual_seed(seed)
    t = getattr(torch.nn, cls)(I, H, **args).to(TDT[dtype])
    g = getattr(gnn, cls)(I, H, **args).to(GDT[dtype])
    _copy(g, t)
    rng = np.random.default_rng(seed)
    shape = (T, I) if unbatched else ((B, T, I) if batch_first else (T, B, I))
    x = rng.normal(size=shape).astype(NP[dtype])
    D = 2 if bidirectional else 1
    sshape = (layers * D, H) if unbatched else (layers * D, B, H)
    states = ([rng.normal(size=sshape).astype(NP[dtype]) for _ in range(2 if cls == "LSTM" else 1)]
              if given_states else None)
    gv, gg = _run(glassnet, g, x, states, seed)
    tv, tg = _run(torch, t, x, states, seed)
    for a, b in zip(gv + gg, tv + tg):
        _close(a, b, dtype, T * layers)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["RNNCell", "RNNCell(relu)", "LSTMCell", "GRUCell"])
@given(B=st.integers(1, 4), I=st.integers(1, 5), H=st.integers(1, 5), bias=st.booleans(),
       given_states=st.booleans(), unbatched=st.booleans(), seed=st.integers(0, 999))
def test_cells_match_torch(name, dtype, B, I, H, bias, given_states, unbatched, seed):
    cls, kw = (name[:7], {"nonlinearity": "relu"}) if name == "RNNCell(relu)" else (name, {})
    torch.manual_seed(seed)
    t = getattr(torch.nn, cls)(I, H, bias=bias, **kw).to(TDT[dtype])
    g = getattr(gnn, cls)(I, H, bias=bias, **kw).to(GDT[dtype])
    _copy(g, t)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(I,) if unbatched else (B, I)).astype(NP[dtype])
    n = 2 if cls == "LSTMCell" else 1
    states = ([rng.normal(size=(H,) if unbatched else (B, H)).astype(NP[dtype]) for _ in range(n)]
              if given_states else None)
    results = []
    for lib, m in ((glassnet, g), (torch, t)):
        xs = lib.tensor(x.copy(), requires_grad=True)
        ss = None if states is None else [lib.tensor(s.copy(), requires_grad=True) for s in states]
        out = m(xs, None if ss is None else (tuple(ss) if n == 2 else ss[0]))
        outs = list(out) if n == 2 else [out]
        r = np.random.default_rng(seed)
        sum((o * lib.tensor(r.uniform(-1, 1, size=tuple(o.shape)).astype(x.dtype))).sum()
            for o in outs).backward()
        grads = [xs.grad] + ([] if ss is None else [s.grad for s in ss]) + [p.grad for p in m.parameters()]
        results.append([o.detach().numpy() for o in outs] + [q.numpy() for q in grads])
    for a, b in zip(*results):
        _close(a, b, dtype, 1)


CONFIGS = [("RNN", (3, 4), {}), ("RNN", (3, 4, 2), {"nonlinearity": "relu", "bias": False}),
           ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True, "batch_first": True, "dropout": 0.25}),
           ("GRU", (2, 5), {"bias": False, "bidirectional": True}),
           ("RNNCell", (3, 4), {"nonlinearity": "relu"}), ("LSTMCell", (3, 4), {"bias": False}),
           ("GRUCell", (3, 4), {}),
           ("LSTM", (3, 5), {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
           ("LSTM", (3, 5), {"bias": False, "proj_size": 4})]


@pytest.mark.parametrize("name,args,kw", CONFIGS)
def test_state_dict_keys_shapes_repr_and_init_bounds(name, args, kw):
    t, g = getattr(torch.nn, name)(*args, **kw), getattr(gnn, name)(*args, **kw)
    assert repr(g) == repr(t)
    ts, gs = t.state_dict(), g.state_dict()
    assert list(gs) == list(ts)
    assert all(tuple(gs[k].shape) == tuple(ts[k].shape) for k in ts)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    bound = 1 / math.sqrt(args[1])
    for p in g.parameters():
        assert p.dtype == glassnet.float32 and np.abs(p.detach().numpy()).max() <= bound
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gs.items()})   # crosses unchanged


def test_big_layer_init_fills_the_bounds():
    g = gnn.LSTM(10, 400)
    w = g.weight_hh_l0.detach().numpy()
    assert w.min() < -0.049 and w.max() > 0.049 and np.abs(w).max() <= 0.05
    assert g.all_weights[0][0] is g.weight_ih_l0


def _error(make, call):
    """The exception of ``call(module, lib)`` for torch's and glassnet's module (type, message)."""
    out = []
    for lib, nn in ((torch, torch.nn), (glassnet, gnn)):
        with pytest.raises(Exception) as info:
            call(make(nn), lib)
        out.append(info)
    return out


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m(lib.zeros(5, 2, 7))),
    (lambda nn: nn.GRU(3, 4, 2), lambda m, lib: m(lib.zeros(5, 2, 3), lib.zeros(1, 2, 4))),
    (lambda nn: nn.RNN(3, 4), lambda m, lib: m(lib.zeros(5, 2, 3), lib.zeros(1, 3, 4))),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 2, 5)))),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(2, 4), lib.zeros(2, 4)))),
    (lambda nn: nn.RNN(3, 4), lambda m, lib: m(lib.zeros(5, 3), lib.zeros(1, 1, 4))),
    (lambda nn: nn.GRU(3, 4), lambda m, lib: m(lib.zeros(5, 2, 3, 1))),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m(lib.zeros(5, 2, 3, dtype=lib.float64))),
    (lambda nn: nn.RNNCell(3, 4), lambda m, lib: m(lib.zeros(2, 2, 3))),
    (lambda nn: nn.LSTMCell(3, 4), lambda m, lib: m(lib.zeros(2, 3), (lib.zeros(2, 4, 1), lib.zeros(2, 4)))),
    (lambda nn: nn.RNN(3, 4), lambda m, lib: m.__class__(3, 4, nonlinearity="gelu")),
    (lambda nn: nn.GRU(3, 4), lambda m, lib: m.__class__(3, 4, dropout=1.5)),
    (lambda nn: nn.GRU(3, 4), lambda m, lib: m.__class__(3, 4, proj_size=2)),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m.__class__(3, 0)),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m.__class__(3, 4, num_layers=0)),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m.__class__(3.0, 4)),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m.__class__(3, 4, proj_size=4)),
    (lambda nn: nn.LSTM(3, 4), lambda m, lib: m.__class__(3, 4, proj_size=-1)),
    (lambda nn: nn.LSTM(3, 4, proj_size=2),
     lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 2, 4)))),
    (lambda nn: nn.LSTM(3, 4, proj_size=2),
     lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 2), lib.zeros(1, 2, 2)))),
])
def test_errors_have_torchs_types_and_messages(make, call):
    t, g = _error(make, call)
    assert g.type is t.type
    assert str(g.value).replace("glassnet", "torch").split(":")[0] == str(t.value).split(":")[0]


def test_cell_shape_errors_are_runtime_errors():
    for lib, nn in ((torch, torch.nn), (glassnet, gnn)):
        with pytest.raises(RuntimeError, match="input_size"):
            nn.GRUCell(3, 4)(lib.zeros(2, 5))
        with pytest.raises(RuntimeError):
            nn.RNNCell(3, 4)(lib.zeros(2, 3), lib.zeros(2, 5))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(layers=st.integers(1, 3), bidirectional=st.booleans(), batch_first=st.booleans(),
       T=st.integers(1, 5), B=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(2, 5), data=st.data(),
       bias=st.booleans(), given_states=st.booleans(), unbatched=st.booleans(), seed=st.integers(0, 999))
def test_lstm_with_projections_matches_torch(dtype, layers, bidirectional, batch_first, T, B, I, H, data,
                                             bias, given_states, unbatched, seed):
    """``LSTM(proj_size=P)``: h_0/h_n (L·D, B, P), c_0/c_n (L·D, B, H), output D·P wide; values
    and the gradients of input, states and every parameter (``weight_hr_l{k}`` included)."""
    P = data.draw(st.integers(1, H - 1))
    args = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias, proj_size=P)
    torch.manual_seed(seed)
    t = torch.nn.LSTM(I, H, **args).to(TDT[dtype])
    g = gnn.LSTM(I, H, **args).to(GDT[dtype])
    _copy(g, t)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, I) if unbatched else ((B, T, I) if batch_first else (T, B, I))).astype(NP[dtype])
    D = 2 if bidirectional else 1
    lead = (layers * D,) if unbatched else (layers * D, B)
    states = ([rng.normal(size=lead + (P,)).astype(NP[dtype]), rng.normal(size=lead + (H,)).astype(NP[dtype])]
              if given_states else None)
    gv, gg = _run(glassnet, g, x, states, seed)
    tv, tg = _run(torch, t, x, states, seed)
    assert gv[0].shape[-1] == D * P and gv[1].shape[-1] == P and gv[2].shape[-1] == H
    for a, b in zip(gv + gg, tv + tg):
        _close(a, b, dtype, T * layers)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), bidirectional=st.booleans(),
       seed=st.integers(0, 999))
def test_lstm_with_projections_on_packed_sequences_matches_torch(dtype, lengths, bidirectional, seed):
    I, H, P, B, T = 3, 4, 2, len(lengths), max(lengths)
    torch.manual_seed(seed)
    t = torch.nn.LSTM(I, H, num_layers=2, bidirectional=bidirectional, proj_size=P).to(TDT[dtype])
    g = gnn.LSTM(I, H, num_layers=2, bidirectional=bidirectional, proj_size=P).to(GDT[dtype])
    _copy(g, t)
    x = np.random.default_rng(seed).normal(size=(T, B, I)).astype(NP[dtype])
    results = []
    for lib, m in ((glassnet, g), (torch, t)):
        xs = lib.tensor(x.copy(), requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(xs, lengths, enforce_sorted=False)
        out, (h, c) = m(packed)
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(out)
        r = np.random.default_rng(seed)
        sum((o * lib.tensor(r.uniform(-1, 1, size=tuple(o.shape)).astype(x.dtype))).sum()
            for o in (padded, h, c)).backward()
        results.append([padded.detach().numpy(), h.detach().numpy(), c.detach().numpy(), xs.grad.numpy()]
                       + [p.grad.numpy() for p in m.parameters()])
    for a, b in zip(*results):
        _close(a, b, dtype, 2 * T)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@given(layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(),
       lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), enforce_sorted=st.booleans(),
       given_states=st.booleans(), seed=st.integers(0, 999))
def test_packed_sequences_match_torch(name, dtype, layers, bidirectional, batch_first, lengths,
                                      enforce_sorted, given_states, seed):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    I, H, B, T = 3, 4, len(lengths), max(lengths)
    args = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    torch.manual_seed(seed)
    t = getattr(torch.nn, name)(I, H, **args).to(TDT[dtype])
    g = getattr(gnn, name)(I, H, **args).to(GDT[dtype])
    _copy(g, t)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, T, I) if batch_first else (T, B, I)).astype(NP[dtype])
    D = 2 if bidirectional else 1
    states = ([rng.normal(size=(layers * D, B, H)).astype(NP[dtype]) for _ in range(2 if name == "LSTM" else 1)]
              if given_states else None)
    results = []
    for lib, m in ((glassnet, g), (torch, t)):
        rnn_utils = lib.nn.utils.rnn
        xs = lib.tensor(x.copy(), requires_grad=True)
        ss = None if states is None else [lib.tensor(s.copy(), requires_grad=True) for s in states]
        packed = rnn_utils.pack_padded_sequence(xs, lengths, batch_first=batch_first,
                                                enforce_sorted=enforce_sorted)
        out, h = m(packed, None if ss is None else (tuple(ss) if len(ss) == 2 else ss[0]))
        padded, lens = rnn_utils.pad_packed_sequence(out, batch_first=batch_first, padding_value=-1.0)
        finals = list(h) if isinstance(h, tuple) else [h]
        r = np.random.default_rng(seed)
        sum((o * lib.tensor(r.uniform(-1, 1, size=tuple(o.shape)).astype(x.dtype))).sum()
            for o in [padded, *finals]).backward()
        grads = [xs.grad] + ([] if ss is None else [s.grad for s in ss]) + [p.grad for p in m.parameters()]
        results.append([out.data.detach().numpy(), out.batch_sizes.numpy(), padded.detach().numpy(),
                        lens.numpy()] + [f.detach().numpy() for f in finals] + [q.numpy() for q in grads])
    for a, b in zip(*results):
        _close(a, b, dtype, T * layers)


def test_pack_and_pad_utilities_match_torch():
    seqs = [np.arange(n * 2, dtype=np.float32).reshape(n, 2) + n for n in (2, 4, 1)]
    results = []
    for lib in (glassnet, torch):
        u = lib.nn.utils.rnn
        packed = u.pack_sequence([lib.tensor(s) for s in seqs], enforce_sorted=False)
        padded, lens = u.pad_packed_sequence(packed, batch_first=True, total_length=5)
        results.append([packed.data.numpy(), packed.batch_sizes.numpy(), packed.sorted_indices.numpy(),
                        packed.unsorted_indices.numpy(), padded.numpy(), lens.numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    for lib in (glassnet, torch):
        u = lib.nn.utils.rnn
        with pytest.raises(RuntimeError, match="sorted in decreasing order"):
            u.pack_padded_sequence(lib.zeros(3, 2, 1), [1, 3])
        with pytest.raises(ValueError, match="total_length"):
            u.pad_packed_sequence(u.pack_padded_sequence(lib.zeros(3, 2, 1), [3, 1]), total_length=2)


def test_dropout_between_layers_only_in_training():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        gnn.GRU(3, 4, dropout=0.5)
    glassnet.manual_seed(0)
    m = gnn.LSTM(3, 6, num_layers=3, dropout=0.5)
    plain = gnn.LSTM(3, 6, num_layers=3)
    plain.load_state_dict(m.state_dict())
    x = glassnet.randn(4, 2, 3)
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), plain(x)[0].detach().numpy())
    m.train()
    trained = [m(x)[0].detach().numpy() for _ in range(2)]
    assert not np.allclose(trained[0], plain(x)[0].detach().numpy())
    assert not np.allclose(trained[0], trained[1])
    one = gnn.LSTM(3, 6, num_layers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one.train()(x)            # no dropout after the last layer: nothing random
