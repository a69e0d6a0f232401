"""nn.MultiheadAttention agrees with torch's after copying the weights: outputs, attention weights
and the gradients of inputs and parameters, float64 and float32, over batch, heads, lengths, widths
(kdim/vdim), masks (bool and float attn_mask 2-D and 3-D, key_padding_mask), batch_first both ways,
unbatched inputs, need_weights/average_attn_weights; dropout only while training; torch's
parameter names, init, repr and errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn as nn
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
NP = {"float64": np.float64, "float32": np.float32}


def pair(dtype, *args, **kw):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(*args, **kw).to(getattr(torch, dtype))
    g = nn.MultiheadAttention(*args, **kw).to(getattr(glassnet, dtype))
    g.load_state_dict(t.state_dict())
    return g, t


def run(m, lib, arrays, masks, seed, **kw):
    """(output, weights, input grads, parameter grads) of ``m`` on copies of ``arrays``."""
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    if len(xs) == 1:
        xs = xs * 3
    elif len(xs) == 2:
        xs = [xs[0], xs[1], xs[1]]
    kwargs = {k: (None if v is None else lib.tensor(v.copy())) for k, v in masks.items()}
    out, w = m(*xs, **kwargs, **kw)
    up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(arrays[0].dtype)
    out.backward(lib.tensor(up))
    seen, grads = set(), []
    for x in xs:
        if id(x) not in seen:
            seen.add(id(x))
            grads.append(x.grad.numpy())
    return (out.detach().numpy(), None if w is None else w.detach().numpy(), grads,
            {n: p.grad.numpy() for n, p in m.named_parameters()})


def agree(a, b, dtype):
    rtol, atol = TOL[dtype]
    if dtype == "float32":
        rtol, atol = rtol * 10, atol * 100
    np.testing.assert_allclose(a[0], b[0], rtol=rtol, atol=atol)
    assert (a[1] is None) == (b[1] is None)
    if a[1] is not None:
        np.testing.assert_allclose(a[1], b[1], rtol=rtol, atol=atol)
    for x, y in zip(a[2], b[2], strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
    assert a[3].keys() == b[3].keys()
    for name in a[3]:
        np.testing.assert_allclose(a[3][name], b[3][name], rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(N=st.integers(1, 3), heads=st.integers(1, 3), hd=st.integers(1, 3), L=st.integers(1, 5),
       S=st.integers(1, 5), batch_first=st.booleans(), inputs=st.sampled_from(["self", "kv", "qkv", "kdim"]),
       mask=st.sampled_from(["none", "bool2d", "float2d", "bool3d", "kpm", "kpm+bool", "kpm-float"]),
       need=st.booleans(), average=st.booleans(), bias=st.booleans(), bias_kv=st.booleans(),
       zero_attn=st.booleans(), seed=st.integers(0, 2**16))
def test_multihead_attention_matches_torch(dtype, N, heads, hd, L, S, batch_first, inputs, mask, need, average,
                                           bias, bias_kv, zero_attn, seed):
    E = heads * hd
    rng = np.random.default_rng(seed)
    d = NP[dtype]
    kdim = E + 1 if inputs == "kdim" else None
    g, t = pair(dtype, E, heads, bias=bias, batch_first=batch_first, kdim=kdim, vdim=kdim,
                add_bias_kv=bias_kv, add_zero_attn=zero_attn)
    if inputs == "self":
        S = L

    def seq(n, width):
        return rng.normal(size=(N, n, width) if batch_first else (n, N, width)).astype(d)
    arrays = {"self": lambda: [seq(L, E)], "kv": lambda: [seq(L, E), seq(S, E)],
              "qkv": lambda: [seq(L, E), seq(S, E), seq(S, E)],
              "kdim": lambda: [seq(L, E), seq(S, E + 1), seq(S, E + 1)]}[inputs]()
    keep = np.zeros((L, S), bool)
    keep[:, 0] = True          # never a fully masked row here (see the next test)
    masks = {}
    if mask in ("bool2d", "kpm+bool"):
        masks["attn_mask"] = (rng.random((L, S)) > 0.6) & ~keep
    if mask == "float2d":
        masks["attn_mask"] = rng.normal(size=(L, S)).astype(d)
    if mask == "bool3d":
        masks["attn_mask"] = (rng.random((N * heads, L, S)) > 0.6) & ~keep
    if mask.startswith("kpm"):
        kpm = rng.random((N, S)) > 0.6
        kpm[:, 0] = False
        masks["key_padding_mask"] = kpm
        if mask == "kpm-float":
            masks["key_padding_mask"] = np.where(kpm, -np.inf, 0.0).astype(d)
    kw = {"need_weights": need, "average_attn_weights": average}
    agree(run(g, glassnet, arrays, masks, seed, **kw), run(t, torch, arrays, masks, seed, **kw), dtype)


@pytest.mark.parametrize("need", [True, False])
def test_fully_masked_rows_as_torch(need):
    """need_weights=True: torch's plain softmax gives NaN; need_weights=False: SDPA gives 0."""
    g, t = pair("float64", 4, 2, batch_first=True)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    res = [m(*(lib.tensor(x),) * 3, key_padding_mask=lib.tensor(kpm), need_weights=need)
           for lib, m in ((glassnet, g), (torch, t))]
    np.testing.assert_allclose(res[0][0].detach().numpy(), res[1][0].detach().numpy(), atol=1e-12)
    assert np.isnan(res[0][0].detach().numpy()[1]).all() == need


@pytest.mark.parametrize("batch_first", [True, False])
def test_unbatched_inputs_and_3d_masks(batch_first):
    g, t = pair("float64", 6, 3, batch_first=batch_first)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 6)), rng.normal(size=(5, 6))
    masks = {"attn_mask": rng.random((3, 4, 5)) > 0.7, "key_padding_mask": np.array([0, 0, 1, 0, 0], bool)}
    masks["attn_mask"][..., 0] = False
    for average in (True, False):
        agree(run(g, glassnet, [x, y], masks, 3, average_attn_weights=average),
              run(t, torch, [x, y], masks, 3, average_attn_weights=average), "float64")


def test_dropout_only_while_training():
    g, t = pair("float64", 8, 2, dropout=0.5, batch_first=True)
    x = glassnet.tensor(np.random.default_rng(2).normal(size=(2, 5, 8)))
    glassnet.manual_seed(0)
    train_out, train_w = g(x, x, x)
    g.eval()
    eval_out, eval_w = g(x, x, x)
    ref = t.eval()(*(torch.tensor(x.numpy()),) * 3)
    np.testing.assert_allclose(eval_out.detach().numpy(), ref[0].detach().numpy(), atol=1e-12)
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())
    w = train_w.numpy()   # dropped weights, rescaled by 1/(1 − p) (averaged over heads)
    assert np.isclose(w.sum(-1), 1.0).sum() < w.shape[0] * w.shape[1]
    np.testing.assert_allclose(eval_w.numpy().sum(-1), 1.0)


def test_parameters_init_and_repr_as_torch():
    glassnet.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    t = torch.nn.MultiheadAttention(64, 4)
    assert list(m.state_dict()) == list(t.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                           "out_proj.bias"]
    assert repr(m) == repr(t)
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6 / (64 + 192))      # xavier_uniform_ on the (3E, E) matrix
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    tsep = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert list(sep.state_dict()) == list(tsep.state_dict())
    assert sep.in_proj_weight is None and sep.k_proj_weight.shape == (8, 3)
    assert [n for n, _ in sep.named_parameters()] == [n for n, _ in tsep.named_parameters()]


def test_bias_kv_parameters_init_and_state_dict_as_torch():
    """add_bias_kv: bias_k, bias_v (1, 1, E), xavier-normal (std √(2/(E + E)) on a (1, 1, E)
    tensor), between in_proj_bias and out_proj in the state dict, as torch has them."""
    glassnet.manual_seed(0)
    m = nn.MultiheadAttention(4096, 4, add_bias_kv=True, add_zero_attn=True)
    t = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)
    assert list(m.state_dict()) == list(t.state_dict()) == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    assert repr(m).replace("4096", "8") == repr(t) and m.add_zero_attn is True
    for p in (m.bias_k, m.bias_v):
        assert p.shape == (1, 1, 4096) and p.requires_grad
        assert abs(p.detach().numpy().std() * np.sqrt(4096) - 1) < 0.05
    plain = nn.MultiheadAttention(4, 2, add_zero_attn=True)
    assert plain.bias_k is None and plain.bias_v is None and "bias_k" not in plain.state_dict()


@pytest.mark.parametrize("batch_first", [True, False])
def test_bias_kv_and_zero_attn_with_unbatched_inputs_and_3d_masks(batch_first):
    g, t = pair("float64", 6, 3, batch_first=batch_first, add_bias_kv=True, add_zero_attn=True)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(4, 6)), rng.normal(size=(5, 6))
    masks = {"attn_mask": rng.normal(size=(3, 4, 5)), "key_padding_mask": np.array([0, 0, 1, 0, 1], bool)}
    for average in (True, False):
        agree(run(g, glassnet, [x, y], masks, 3, average_attn_weights=average),
              run(t, torch, [x, y], masks, 3, average_attn_weights=average), "float64")


def test_fully_masked_rows_see_the_added_keys():
    """Every real key masked out: the added bias and zero keys still take the row's weight."""
    g, t = pair("float64", 4, 2, batch_first=True, add_bias_kv=True, add_zero_attn=True)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    res = [m(*(lib.tensor(x),) * 3, key_padding_mask=lib.tensor(kpm)) for lib, m in ((glassnet, g), (torch, t))]
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
    assert res[0][1].shape == (2, 3, 5)


def test_errors_as_torch():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="must be greater than 0"):
        nn.MultiheadAttention(0, 1)
    m = nn.MultiheadAttention(4, 2)
    x = glassnet.zeros(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\(3, 3\)"):
        m(x, x, x, attn_mask=glassnet.zeros(3, 4, dtype=glassnet.bool))
    with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is .*\(4, 3, 3\)"):
        m(x, x, x, attn_mask=glassnet.zeros(2, 3, 3, dtype=glassnet.bool))
    with pytest.raises(AssertionError, match="key_padded_mask.shape\\[1\\] to be 3"):
        m(x, x, x, key_padding_mask=glassnet.zeros(2, 4, dtype=glassnet.bool))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        m(x, x[0], x[0])
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4"):
        m(glassnet.zeros(3, 2, 5), x, x)
    with pytest.raises(AssertionError, match="only bool and floating types"):
        m(x, x, x, attn_mask=glassnet.zeros(3, 3, dtype=glassnet.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, attn_mask=glassnet.zeros(3, 3), key_padding_mask=glassnet.zeros(2, 3, dtype=glassnet.bool))


def test_weights_under_no_grad_and_is_causal_hint():
    g, t = pair("float64", 4, 2)
    x = np.random.default_rng(5).normal(size=(5, 2, 4))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    with glassnet.no_grad():
        go, gw = g(*(glassnet.tensor(x),) * 3, attn_mask=glassnet.tensor(mask), is_causal=True)
    with torch.no_grad():
        to, tw = t(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(mask), is_causal=True)
    np.testing.assert_allclose(go.numpy(), to.numpy(), atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), atol=1e-12)


def _static_run(lib, m, x, kv, statics, masks, zero_attn, seed):
    """F.multi_head_attention_forward with ``m``'s parameters and the given static keys/values:
    (output, weights, grads of x, kv and the statics, parameter grads)."""
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in (x, kv)]
    st_ = {k: lib.tensor(v.copy(), requires_grad=True) for k, v in statics.items()}
    kw = {k: lib.tensor(v.copy()) for k, v in masks.items()}
    out, w = lib.nn.functional.multi_head_attention_forward(
        xs[0], xs[1], xs[1], m.embed_dim, m.num_heads, m.in_proj_weight, m.in_proj_bias, None, None,
        zero_attn, 0.0, m.out_proj.weight, m.out_proj.bias, training=False, average_attn_weights=False,
        **st_, **kw)
    up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape))
    out.backward(lib.tensor(up))
    grads = [None if t.grad is None else t.grad.numpy() for t in xs + [st_[k] for k in sorted(st_)]]
    return (out.detach().numpy(), w.detach().numpy(), grads,
            {n: p.grad.numpy() for n, p in m.named_parameters()})


@pytest.mark.parametrize("which", ["static_k", "static_v", "both", "both-longer"])
@pytest.mark.parametrize("zero_attn", [False, True])
@pytest.mark.parametrize("unbatched", [False, True])
def test_static_k_and_static_v_replace_the_projected_keys_as_torch(which, zero_attn, unbatched):
    """static_k/static_v (N·heads, S, head_dim) take the place of the projected keys/values: output,
    weights and every gradient (inputs, statics, parameters) as torch's; with a key_padding_mask."""
    g, t = pair("float64", 6, 3)
    rng = np.random.default_rng(7)
    N, L, S, H, hd = (1 if unbatched else 2), 4, 5, 3, 2
    S2 = 7 if which == "both-longer" else S
    x, kv = rng.normal(size=(L, N, 6)), rng.normal(size=(S, N, 6))
    if unbatched:
        x, kv = x[:, 0], kv[:, 0]
    statics = {}
    if which != "static_v":
        statics["static_k"] = rng.normal(size=(N * H, S2, hd))
    if which != "static_k":
        statics["static_v"] = rng.normal(size=(N * H, S2, hd))
    kpm = rng.random(size=(N, S2)) < 0.3
    kpm[:, 0] = False
    masks = {"key_padding_mask": kpm[0] if unbatched else kpm}
    for params in (g, t):
        params.zero_grad()
    a = _static_run(glassnet, g, x, kv, statics, masks, zero_attn, 1)
    b = _static_run(torch, t, x, kv, statics, masks, zero_attn, 1)
    assert [d is None for d in a[2]] == [d is None for d in b[2]]   # key/value unused when both static
    agree(a[:2] + ([d for d in a[2] if d is not None],) + a[3:],
          b[:2] + ([d for d in b[2] if d is not None],) + b[3:], "float64")


def test_static_k_errors_as_torch():
    g, t = pair("float64", 4, 2, add_bias_kv=True)
    x = np.zeros((3, 2, 4))
    F = {glassnet: glassnet.nn.functional, torch: torch.nn.functional}

    def call(lib, m, bias=True, **statics):
        xx = lib.tensor(x)
        return F[lib].multi_head_attention_forward(
            xx, xx, xx, 4, 2, m.in_proj_weight, m.in_proj_bias, m.bias_k if bias else None,
            m.bias_v if bias else None, False, 0.0, m.out_proj.weight, m.out_proj.bias,
            **{k: lib.tensor(v) for k, v in statics.items()})
    for lib, m in ((glassnet, g), (torch, t)):
        with pytest.raises(AssertionError, match="bias cannot be added to static key"):
            call(lib, m, static_k=np.zeros((4, 3, 2)))
        with pytest.raises(AssertionError, match="bias cannot be added to static value"):
            call(lib, m, static_v=np.zeros((4, 3, 2)))
        with pytest.raises(AssertionError, match="expecting static_k.size\\(0\\) of 4, but got 2"):
            call(lib, m, bias=False, static_k=np.zeros((2, 3, 2)))
        with pytest.raises(AssertionError, match="expecting static_v.size\\(2\\) of 2, but got 3"):
            call(lib, m, bias=False, static_v=np.zeros((4, 3, 3)))
    with pytest.raises(RuntimeError, match="5 keys but 3 values"):
        call(glassnet, g, bias=False, static_k=np.zeros((4, 5, 2)))
