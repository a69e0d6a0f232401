"""The Transformer family agrees with torch's after copying the weights: TransformerEncoderLayer,
TransformerEncoder (with its final norm, the causal-mask detection and torch's nested-tensor eval
path), TransformerDecoderLayer, TransformerDecoder and Transformer; outputs and gradients, float64
and float32, batch_first and norm_first both ways, relu/gelu/a callable; torch's state_dict keys,
reprs and errors; dropout only while training."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F
from tests.conftest import TOL

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")
NP = {"float64": np.float64, "float32": np.float32}


def build(lib_nn, kind, d_model, nhead, ff, batch_first, norm_first, activation, layers=2, dropout=0.0):
    kw = dict(dim_feedforward=ff, dropout=dropout, batch_first=batch_first, norm_first=norm_first,
              activation=activation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "encoder_layer":
            return lib_nn.TransformerEncoderLayer(d_model, nhead, **kw)
        if kind == "encoder":
            return lib_nn.TransformerEncoder(lib_nn.TransformerEncoderLayer(d_model, nhead, **kw), layers,
                                             norm=lib_nn.LayerNorm(d_model))
        if kind == "decoder_layer":
            return lib_nn.TransformerDecoderLayer(d_model, nhead, **kw)
        return lib_nn.TransformerDecoder(lib_nn.TransformerDecoderLayer(d_model, nhead, **kw), layers,
                                         norm=lib_nn.LayerNorm(d_model))


def pair(dtype, kind, *args, **kw):
    torch.manual_seed(0)
    t = build(torch.nn, kind, *args, **kw).to(getattr(torch, dtype))
    g = build(nn, kind, *args, **kw).to(getattr(glassnet, dtype))
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(t.state_dict())
    return g, t


def run(m, lib, arrays, masks, seed):
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    kwargs = {k: lib.tensor(v.copy()) for k, v in masks.items()}
    out = m(*xs, **kwargs)
    up = np.random.default_rng(seed).uniform(-1, 1, size=tuple(out.shape)).astype(arrays[0].dtype)
    out.backward(lib.tensor(up))
    return [out.detach().numpy()] + [x.grad.numpy() for x in xs] + \
        [p.grad.numpy() for _, p in m.named_parameters()]


def agree(a, b, dtype):
    rtol, atol = TOL[dtype]
    if dtype == "float32":
        rtol, atol = rtol * 20, atol * 200
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(kind=st.sampled_from(["encoder_layer", "encoder", "decoder_layer", "decoder"]),
       nhead=st.integers(1, 2), hd=st.integers(1, 3), N=st.integers(1, 3), L=st.integers(1, 5),
       S=st.integers(1, 5), batch_first=st.booleans(), norm_first=st.booleans(),
       activation=st.sampled_from(["relu", "gelu"]), masks=st.sampled_from(["none", "causal", "padding", "both"]),
       seed=st.integers(0, 2**16))
def test_transformer_layers_match_torch(dtype, kind, nhead, hd, N, L, S, batch_first, norm_first, activation,
                                        masks, seed):
    d_model = nhead * hd * 2
    g, t = pair(dtype, kind, d_model, nhead, 6, batch_first, norm_first, activation)
    rng = np.random.default_rng(seed)

    def seq(n):
        return rng.normal(size=(N, n, d_model) if batch_first else (n, N, d_model)).astype(NP[dtype])
    decoder = kind.startswith("decoder")
    arrays = [seq(L), seq(S)] if decoder else [seq(L)]
    given_masks = {}
    causal = np.triu(np.full((L, L), -np.inf), 1).astype(NP[dtype])
    padding = rng.random((N, L)) > 0.6
    padding[:, 0] = False
    if masks in ("causal", "both"):
        given_masks["tgt_mask" if decoder else ("mask" if kind == "encoder" else "src_mask")] = causal
    if masks in ("padding", "both"):
        name = "tgt_key_padding_mask" if decoder else "src_key_padding_mask"
        # float padding beside a float causal mask (torch warns on mixed types)
        given_masks[name] = np.where(padding, -np.inf, 0).astype(NP[dtype]) if masks == "both" else padding
    ours, theirs = run(g, glassnet, arrays, given_masks, seed), run(t, torch, arrays, given_masks, seed)
    if dtype == "float64":
        agree(ours, theirs, dtype)
        return
    # float32: LayerNorm over a few channels and a ReLU kink amplify rounding, and which way depends
    # on the BLAS's summation order, so measure both float32 results against torch in float64:
    # glassnet must be as close to it as torch's own float32 result is (or within the tolerance).
    t.zero_grad(set_to_none=True)
    exact = run(t.double(), torch, [a.astype(np.float64) for a in arrays],
                {k: v.astype(np.float64) if v.dtype != bool else v for k, v in given_masks.items()}, seed)
    rtol, atol = TOL[dtype]
    for mine, torch32, ref in zip(ours, theirs, exact, strict=True):
        err, torch_err = np.abs(mine - ref), np.abs(torch32 - ref)
        assert np.all(err <= 10 * torch_err + 20 * (atol + rtol * np.abs(ref))), float(np.max(err))


@pytest.mark.parametrize("batch_first", [True, False])
def test_encoder_eval_no_grad_with_padding_as_torch_nested_path(batch_first):
    g, t = pair("float64", "encoder", 8, 2, 16, batch_first, False, "relu")
    g.eval(), t.eval()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 8) if batch_first else (5, 3, 8))
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    kpm[2, 1:] = True
    with glassnet.no_grad():
        go = g(glassnet.tensor(x), src_key_padding_mask=glassnet.tensor(kpm)).numpy()
    with torch.no_grad():
        to = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm)).numpy()
    np.testing.assert_allclose(go, to, atol=1e-12)


def test_transformer_and_its_mask_helper():
    torch.manual_seed(0)
    t = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True).double()
    g = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True).double()
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(t.state_dict())
    rng = np.random.default_rng(1)
    src, tgt = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 4, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=glassnet.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3).dtype == glassnet.float32
    go = g(glassnet.tensor(src), glassnet.tensor(tgt), tgt_mask=mask)
    to = t(torch.tensor(src), torch.tensor(tgt), tgt_mask=tmask)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        g(glassnet.tensor(src), glassnet.tensor(tgt[:1]))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        g(glassnet.tensor(src[..., :4]), glassnet.tensor(tgt[..., :4]))


def test_reprs_keys_and_options_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert "layers.0.self_attn.in_proj_weight" in g.state_dict()
    assert g.layers[0] is not g.layers[1]            # deep copies
    assert repr(nn.TransformerDecoderLayer(8, 2, 16, norm_first=True)) == \
        repr(torch.nn.TransformerDecoderLayer(8, 2, 16, norm_first=True))
    layer = nn.TransformerEncoderLayer(8, 2, activation="gelu")
    assert layer.activation is F.gelu and layer.activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, activation=nn.GELU()).activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, activation=F.silu).activation_relu_or_gelu == 0
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(9, 2)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 1)


def test_a_callable_activation_and_no_bias():
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(6, 3, 10, dropout=0.0, activation=torch.nn.functional.silu,
                                         bias=False).double()
    g = nn.TransformerEncoderLayer(6, 3, 10, dropout=0.0, activation=F.silu, bias=False).double()
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(t.state_dict())
    x = np.random.default_rng(3).normal(size=(4, 2, 6))
    agree(run(g, glassnet, [x], {}, 0), run(t, torch, [x], {}, 0), "float64")


def test_dropout_only_while_training():
    g = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = glassnet.randn(2, 5, 8)
    glassnet.manual_seed(0)
    a = g(x).detach().numpy()
    b = g(x).detach().numpy()
    assert not np.allclose(a, b)
    g.eval()
    np.testing.assert_array_equal(g(x).detach().numpy(), g(x).detach().numpy())
