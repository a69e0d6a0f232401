"""The attention primitive (``ops/attention.py`` through ``F.scaled_dot_product_attention``) and the
SiLU/Mish/GELU element-wise primitives agree with PyTorch: values and gradients of query, key,
value (and a float mask), float64 and float32, over batch, heads, lengths, widths, bool/float
masks, ``is_causal`` and ``scale`` drawn by hypothesis; float64 gradcheck of each primitive; the
node's ``probs``/``mask``/``scale``; fully masked rows (0, as torch 2.13 on the CPU); torch's
errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn.functional as F
from glassnet.autograd import gradcheck
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
TF = torch.nn.functional
NP = {"float64": np.float64, "float32": np.float32}


def both(arrays, kw, seed=0, mask=None):
    """F.scaled_dot_product_attention on both sides; (value, grads of q, k, v[, float mask])."""
    results = []
    for lib, fns in ((glassnet, F), (torch, TF)):
        ts = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        kwargs = dict(kw)
        m = None
        if mask is not None:
            m = lib.tensor(mask.copy(), requires_grad=mask.dtype != np.bool_)
            kwargs["attn_mask"] = m
        out = fns.scaled_dot_product_attention(*ts, **kwargs)
        up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(arrays[0].dtype)
        out.backward(lib.tensor(up))
        grads = [t.grad.numpy() for t in ts] + ([m.grad.numpy()] if m is not None and m.requires_grad else [])
        results.append((out.detach().numpy(), grads))
    return results


def agree(results, dtype):
    rtol, atol = TOL[dtype]
    (gv, gg), (tv, tg) = results
    scale = 10 if dtype == "float32" else 1
    np.testing.assert_allclose(gv, tv, rtol=rtol * scale, atol=atol * scale * 10)
    assert len(gg) == len(tg)
    for a, b in zip(gg, tg):
        np.testing.assert_allclose(a, b, rtol=rtol * scale, atol=atol * scale * 10)


shapes = st.fixed_dictionaries({"batch": st.integers(1, 3), "heads": st.integers(1, 3), "L": st.integers(1, 6),
                                "S": st.integers(1, 6), "E": st.integers(1, 5), "Ev": st.integers(1, 4)})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(s=shapes, kind=st.sampled_from(["none", "bool", "float", "causal", "bool-broadcast"]),
       scale=st.sampled_from([None, 0.5]), seed=st.integers(0, 2**16))
def test_sdpa_matches_torch(dtype, s, kind, scale, seed):
    rng = np.random.default_rng(seed)
    d = NP[dtype]
    q = rng.normal(size=(s["batch"], s["heads"], s["L"], s["E"])).astype(d)
    k = rng.normal(size=(s["batch"], s["heads"], s["S"], s["E"])).astype(d)
    v = rng.normal(size=(s["batch"], s["heads"], s["S"], s["Ev"])).astype(d)
    kw, mask = {"scale": scale}, None
    if kind == "causal":
        kw["is_causal"] = True
    elif kind == "bool":
        mask = rng.random((s["batch"], s["heads"], s["L"], s["S"])) > 0.3
        mask[..., 0] = True      # every row keeps a key (fully masked rows: their own test)
    elif kind == "bool-broadcast":
        mask = rng.random((s["L"], s["S"])) > 0.3
        mask[:, 0] = True
    elif kind == "float":
        mask = rng.normal(size=(1, s["heads"], s["L"], s["S"])).astype(d)
    agree(both([q, k, v], kw, seed, mask), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(batch=st.integers(1, 2), kv_heads=st.integers(1, 3), group=st.integers(1, 3), v_group=st.booleans(),
       L=st.integers(1, 5), S=st.integers(1, 5), E=st.integers(1, 4), three_d=st.booleans(),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_sdpa_grouped_query_attention_matches_torch(dtype, batch, kv_heads, group, v_group, L, S, E, three_d,
                                                    causal, seed):
    """enable_gqa=True: key/value heads shared by groups of query heads (value with its own,
    smaller head count too); the shared heads' gradients are summed over their groups."""
    rng = np.random.default_rng(seed)
    d = NP[dtype]
    lead = () if three_d else (batch,)
    q = rng.normal(size=lead + (kv_heads * group, L, E)).astype(d)
    k = rng.normal(size=lead + (kv_heads, S, E)).astype(d)
    v = rng.normal(size=lead + ((1 if v_group else kv_heads), S, 3)).astype(d)
    agree(both([q, k, v], {"enable_gqa": True, "is_causal": causal}, seed), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unbatched_and_broadcast_batch_dims(dtype):
    rng = np.random.default_rng(1)
    d = NP[dtype]
    agree(both([rng.normal(size=(3, 4)).astype(d), rng.normal(size=(5, 4)).astype(d),
                rng.normal(size=(5, 2)).astype(d)], {}), dtype)
    agree(both([rng.normal(size=(2, 1, 3, 4)).astype(d), rng.normal(size=(1, 2, 5, 4)).astype(d),
                rng.normal(size=(1, 2, 5, 2)).astype(d)], {"is_causal": True}), dtype)


def test_fully_masked_rows_give_zero_as_torch_does():
    rng = np.random.default_rng(2)
    q, k, v = (rng.normal(size=(1, 2, 3, 4)), rng.normal(size=(1, 2, 5, 4)), rng.normal(size=(1, 2, 5, 4)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    results = both([q, k, v], {}, mask=mask)
    agree(results, "float64")
    assert np.all(results[0][0][:, :, 1] == 0)
    fmask = np.zeros((3, 5))
    fmask[2] = -np.inf
    g = F.scaled_dot_product_attention(*(glassnet.tensor(a) for a in (q, k, v)), attn_mask=glassnet.tensor(fmask))
    t = TF.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(fmask))
    np.testing.assert_allclose(g.numpy(), t.numpy(), atol=1e-12)


def test_the_node_keeps_probs_mask_and_scale():
    rng = np.random.default_rng(3)
    q = glassnet.tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    k = glassnet.tensor(rng.normal(size=(2, 5, 4)))
    out = F.scaled_dot_product_attention(q, k, k, is_causal=True)
    node = out.grad_fn
    assert type(node).__name__ == "ScaledDotProductAttention"
    assert node.probs.shape == (2, 3, 5) and node.scale == pytest.approx(0.5)
    np.testing.assert_allclose(node.probs.sum(-1), 1.0)
    assert node.mask.dtype == np.bool_ and node.mask.shape == (3, 5)
    np.testing.assert_array_equal(node.mask, np.triu(np.ones((3, 5), bool), 1))
    assert np.all(node.probs[node.mask[None].repeat(2, 0)] == 0)
    plain = F.scaled_dot_product_attention(q, k, k, scale=0.1).grad_fn
    assert plain.mask is None and plain.scale == 0.1


@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal"])
def test_gradcheck(kind):
    rng = np.random.default_rng(4)
    q, k, v = (glassnet.tensor(rng.normal(size=s), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    if kind == "float":
        m = glassnet.tensor(rng.normal(size=(3, 5)), requires_grad=True)
        assert gradcheck(lambda a, b, c, mm: F.scaled_dot_product_attention(a, b, c, attn_mask=mm), (q, k, v, m))
        return
    kw = {"is_causal": True} if kind == "causal" else {}
    if kind == "bool":
        mask = rng.random((2, 3, 5)) > 0.4
        mask[..., 1] = True
        kw["attn_mask"] = glassnet.tensor(mask)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw), (q, k, v))


def test_gradcheck_with_dropout_kept_fixed():
    rng = np.random.default_rng(5)
    q, k, v = (glassnet.tensor(rng.normal(size=s), requires_grad=True) for s in ((3, 4), (5, 4), (5, 2)))

    def f(a, b, c):
        glassnet.manual_seed(7)   # the same dropout draw every call
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.3)
    assert gradcheck(f, (q, k, v))


def test_dropout_zeroes_weights_and_rescales():
    glassnet.manual_seed(0)
    x = glassnet.ones(1, 4, 8, 3)
    v = glassnet.tensor(np.eye(8, dtype=np.float32)[None, None].repeat(4, 1))
    out = F.scaled_dot_product_attention(x, x, v, dropout_p=0.5).numpy()
    assert set(np.round(np.unique(out), 6)) <= {0.0, 0.25}
    plain = F.scaled_dot_product_attention(x, x, v, dropout_p=0.0).numpy()
    np.testing.assert_allclose(plain, 1 / 8)


def test_errors_as_torch():
    q, k, v = glassnet.zeros(2, 3, 4), glassnet.zeros(2, 5, 4), glassnet.zeros(2, 5, 4)
    mask = glassnet.ones(3, 5, dtype=glassnet.bool)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
    with pytest.raises(RuntimeError, match="Expected size for first two dimensions of batch2"):
        F.scaled_dot_product_attention(q, glassnet.zeros(2, 5, 3), v)
    with pytest.raises(RuntimeError, match="Expected size for first two dimensions of batch2"):
        F.scaled_dot_product_attention(q, k, glassnet.zeros(2, 6, 4))
    with pytest.raises(RuntimeError, match="attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=glassnet.ones(3, 5, dtype=glassnet.int64))
    with pytest.raises(RuntimeError, match="must match the size"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=glassnet.ones(4, 5, dtype=glassnet.bool))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q.double(), k, v)
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        F.scaled_dot_product_attention(glassnet.zeros(4), k[0], v[0])
    for lib, fns in ((torch, TF), (glassnet, F)):    # enable_gqa: the heads must divide
        with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
            fns.scaled_dot_product_attention(lib.zeros(1, 4, 3, 2), lib.zeros(1, 3, 3, 2), lib.zeros(1, 3, 3, 2),
                                             enable_gqa=True)
        with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
            fns.scaled_dot_product_attention(lib.zeros(1, 2, 3, 2), lib.zeros(1, 4, 3, 2), lib.zeros(1, 4, 3, 2),
                                             enable_gqa=True)
        with pytest.raises(IndexError, match="Dimension out of range"):
            fns.scaled_dot_product_attention(lib.zeros(3, 2), lib.zeros(3, 2), lib.zeros(3, 2), enable_gqa=True)


# -- element-wise: GELU (both approximations), SiLU, Mish -----------------------------------------

ACTS = {"gelu": {}, "gelu-tanh": {"approximate": "tanh"}, "silu": {}, "mish": {}}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ACTS))
@given(n=st.integers(1, 20), seed=st.integers(0, 2**16))
def test_activations_match_torch(dtype, name, n, seed):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=n) * 4).astype(NP[dtype])
    fn = name.split("-")[0]
    rtol, atol = TOL[dtype]
    res = []
    for lib, fns in ((glassnet, F), (torch, TF)):
        t = lib.tensor(x.copy(), requires_grad=True)
        out = getattr(fns, fn)(t, **ACTS[name])
        out.backward(lib.ones_like(out))
        res.append((out.detach().numpy(), t.grad.numpy()))
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(a, b, rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize("name", list(ACTS))
def test_activation_gradcheck(name):
    x = glassnet.tensor(np.linspace(-5, 5, 23), requires_grad=True)
    fn = getattr(F, name.split("-")[0])
    assert gradcheck(lambda t: fn(t, **ACTS[name]), (x,))


def test_activation_modules_print_as_torch():
    import glassnet.nn as nn
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU()) and repr(nn.Mish(inplace=True)) == repr(torch.nn.Mish(True))
    assert repr(nn.GELU("tanh")) == repr(torch.nn.GELU("tanh"))
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(glassnet.zeros(2), approximate="fast")
