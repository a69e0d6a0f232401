"""explain on attention: the heads of a recorded GPT step found and named by module path, their
weights (equal to the softmax's output, and to torch's), masked entries flagged masked, row entropy,
the derivation of one weight and of its gradient through the softmax (equal to the recorded
numbers, and redone exactly), a fused attention node read by its attributes, every renderer."""
import json
import struct
import zlib

import numpy as np
import pytest

import glassnet
from glassnet import explain
from glassnet.autograd.function import Function
from glassnet.explain import attention as A
from glassnet.lessons.gpt_model import GPT, GPTConfig

SMALL = GPTConfig(n_layer=1, n_head=2, n_embd=16, block_size=8)


def _data(batch=2, T=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 65, (batch, T)), rng.integers(0, 65, (batch, T))


def _gpt_step(cfg=SMALL, batch=2, seed=0):
    glassnet.manual_seed(seed)
    model = GPT(cfg)
    x, y = _data(batch, cfg.block_size, seed)
    opt = glassnet.optim.AdamW(model.parameters(), lr=1e-3)
    with explain.record(model, opt) as rec:
        _, loss = model(glassnet.tensor(x), glassnet.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, (x, y), rec


@pytest.fixture(scope="module")
def step():
    return _gpt_step()


def test_attention_is_found_and_named_by_module_path(step):
    _, _, rec = step
    assert rec.attention_layers() == ["blocks.0.sa.heads.0", "blocks.0.sa.heads.1"]
    sites = A.attention_sites(rec)
    for site in sites:
        assert not site.fused and site.op.op == "Softmax" and site.scores.op == "MatMul"
        assert site.pv is not None and site.where is not None and site.k is not None
        assert float(site.scale) == pytest.approx(8 ** -0.5)
    assert [h.name for h in rec.attention("blocks.0").heads] == rec.attention_layers()
    assert [h.name for h in rec.attention("blocks.0.sa.heads.1").heads] == ["blocks.0.sa.heads.1"]
    with pytest.raises(KeyError, match="no attention layer"):
        rec.attention("blocks.1")


def test_heatmap_weights_are_the_softmax_output_and_masked_entries_are_flagged(step):
    _, _, rec = step
    for b in (0, 1):
        for site, head in zip(A.attention_sites(rec), rec.attention(batch=b).heads):
            np.testing.assert_array_equal(head.weights, site.op.output[b])
            # and an independent softmax of the recorded q·kᵀ/√d under the causal mask
            q, kt = site.scores.input_values
            s = q[b] @ kt[b] / np.sqrt(8)
            causal = np.triu(np.ones((8, 8), bool), 1)
            e = np.where(causal, 0, np.exp(s - np.where(causal, -np.inf, s).max(-1, keepdims=True)))
            np.testing.assert_allclose(head.weights, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
            np.testing.assert_array_equal(head.masked, causal)
            rows = str(rec.attention(site.name, batch=b)).splitlines()[-8:]
            assert [[c == A.MASKED_CHAR for c in r.strip()] for r in rows] == causal.tolist()


def test_entropy_matches_numpy(step):
    _, _, rec = step
    for head in rec.attention(batch=1).heads:
        p = head.weights
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)
        np.testing.assert_allclose(head.entropy, h, rtol=1e-12)
        np.testing.assert_allclose(head.max_entropy, np.log(np.arange(1, 9)))
        assert head.mean_entropy == pytest.approx(h.mean())
        assert head.entropy[0] == 0 and np.all(head.entropy <= head.max_entropy + 1e-9)


def test_largest_gradients_into_q_k_v_are_the_recorded_ones(step):
    _, _, rec = step
    site = A.attention_sites(rec)[0]
    head = rec.attention(site.name, batch=1).heads[0]
    gq = rec.ops[site.scores.inputs[0].key].grad_out[1]
    p, c, v = head.top["q"][0]
    assert v == pytest.approx(float(gq[p, c])) and abs(v) == pytest.approx(float(np.abs(gq).max()))
    np.testing.assert_allclose(head.norms["v"], np.linalg.norm(rec.ops[site.pv.inputs[1].key].grad_out[1], axis=-1),
                               rtol=1e-6)


@pytest.mark.parametrize("index", [(1, 5, 2), (0, 7, 7), (1, 2, 5)])
def test_derivation_reproduces_the_recorded_weight_and_softmax_gradient(step, index):
    _, _, rec = step
    site = A.attention_sites(rec)[1]
    d = rec.derivation(f"{site.name}[{', '.join(map(str, index))}]")
    assert d.agrees
    gs = A.grad_scores(rec, site)
    assert d.value == pytest.approx(float(gs[index]), abs=1e-12)
    # the numbers on the lines: p_ij from the exponentials, ∂L/∂s_ij from the formula
    b, i, j = index
    p, g = site.op.output[b, i].astype(np.float64), site.op.grad_out[b, i].astype(np.float64)
    assert p[j] * (g[j] - np.sum(p * g)) == pytest.approx(float(gs[index]), rel=1e-4, abs=1e-9)
    text = "\n".join(m for m, _ in d.lines)
    assert "∂L/∂s_" in text and "p_" in text and "Σ_k p_" in text
    if index == (1, 2, 5):                                  # a masked weight: 0, and no gradient
        assert "−∞" in text and d.value == 0 and site.op.output[index] == 0
    # also through the document (folded in HTML) and JSON
    doc = json.loads(rec.to_json(entries=[d.entry], version=2))
    assert doc["derivations"][0]["agrees"] is True


def test_exact_check_of_the_score_and_the_softmax_gradient(step):
    _, _, rec = step
    c = rec.attention_exact("blocks.0.sa.heads.0[1, 6, 3]")
    assert c.formula_equal                       # (diag(p) − p pᵀ) g == p ⊙ (g − Σ p g), exactly
    assert not c.scale_exact                     # 1/√8 is irrational: the recorded float is used
    diffs = c.differences()
    assert diffs["score"] < 1e-6 and diffs["grad_scores"] < 1e-8 and diffs["grad_q"] < 1e-8
    assert diffs["sum_p"] < 1e-6
    # with d = 16 (a perfect square) the scale is exactly 1/4
    _, _, rec16 = _gpt_step(GPTConfig(n_layer=1, n_head=1, n_embd=16, block_size=4), batch=1)
    c16 = rec16.attention_exact("blocks.0.sa.heads.0[0, 3, 1]")
    assert c16.scale_exact and c16.formula_equal and c16.differences()["grad_q"] < 1e-8


def test_torch_parity_of_weights_and_softmax_gradients(step):
    torch = pytest.importorskip("torch")
    from torch.overrides import TorchFunctionMode
    model, (x, y), rec = step
    glassnet.manual_seed(0)
    fresh = GPT(SMALL)                              # the model before the step, crossed to torch
    tm = glassnet.bridge.to_torch(fresh)
    seen = []

    class Softmaxes(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is torch.nn.functional.softmax or func is torch.softmax or func is torch.Tensor.softmax:
                s = args[0]
                s.retain_grad()
                out = func(*args, **kwargs)
                out.retain_grad()
                seen.append((s, out))
                return out
            return func(*args, **kwargs)

    with Softmaxes():
        _, loss = tm(torch.tensor(x), torch.tensor(y))
    loss.backward()
    assert len(seen) == 2
    for site, (s, p) in zip(A.attention_sites(rec), seen):
        np.testing.assert_allclose(A.probs(rec, site), p.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(A.grad_probs(rec, site), p.grad.numpy(), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(A.grad_scores(rec, site), s.grad.numpy(), rtol=1e-4, atol=1e-8)


def test_torch_recording_shows_the_same_attention(step):
    torch = pytest.importorskip("torch")
    _, (x, y), rec = step
    glassnet.manual_seed(0)
    tm = glassnet.bridge.to_torch(GPT(SMALL))
    opt = torch.optim.AdamW(tm.parameters(), lr=1e-3)
    with explain.record(tm, opt) as trec:
        _, loss = tm(torch.tensor(x), torch.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert trec.attention_layers() == rec.attention_layers()
    for a, b in zip(rec.attention(batch=1).heads, trec.attention(batch=1).heads):
        np.testing.assert_allclose(a.weights, b.weights, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(a.masked, b.masked)
    assert trec.derivation("blocks.0.sa.heads.1[1, 6, 2]").agrees
    assert "data:image/png" in trec.to_html()


def _png_pixels(uri: str) -> np.ndarray:
    import base64
    data = base64.b64decode(uri.split(",", 1)[1])
    w, h = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 3 * w)
    return raw[:, 1:].reshape(h, w, 3)


def test_renderers_show_the_heatmaps_html_json_text(step):
    _, _, rec = step
    html = rec.to_html()
    assert "<h3>Attention</h3>" in html and html.count('src="data:image/png;base64,') == 2
    uri = html.split('src="', 2)[1].split('"', 1)[0]
    px = _png_pixels(uri)                              # 8×8 weights, 12 px each
    assert px.shape == (96, 96, 3)
    masked_px = px[6, 90]                              # row 0, key 7: masked → grey, not a colour
    assert masked_px[0] == masked_px[1] == masked_px[2]
    assert not (px[6, 6][0] == px[6, 6][1] == px[6, 6][2])   # row 0, key 0: weight 1 (yellow)
    for version in (1, 2):
        doc = json.loads(rec.to_json(version=version))
        explain.validate(doc)
        heads = doc["attention"]["heads"]
        assert [h["name"] for h in heads] == rec.attention_layers()
        w = np.array([[np.nan if v is None else v for v in row] for row in heads[0]["weights"]])
        np.testing.assert_array_equal(np.isnan(w), np.triu(np.ones((8, 8), bool), 1))
        np.testing.assert_allclose(np.nan_to_num(w), rec.attention(batch=0).heads[0].weights, rtol=1e-12)
    for text in (rec.to_text(), rec.to_markdown(), rec.to_latex()):
        assert "Attention weights, sequence 0" in text and "blocks.0.sa.heads.1" in text


def test_attention_figure_draws_masked_entries_hatched(step):
    pytest.importorskip("matplotlib")
    _, _, rec = step
    fig = rec.attention("blocks.0").figure()
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 2
    img = axes[0].images[0].get_array()
    assert np.ma.is_masked(img) or np.isnan(np.asarray(img, float)).any()
    assert any(getattr(p, "get_hatch", lambda: None)() for p in axes[0].patches)


def test_recordings_without_attention_are_unchanged():
    model = glassnet.nn.Sequential(glassnet.nn.Linear(3, 4), glassnet.nn.ReLU(), glassnet.nn.Linear(4, 2))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with explain.record(model, opt) as rec:
        loss = glassnet.nn.functional.cross_entropy(model(glassnet.randn(5, 3)), glassnet.tensor([0, 1, 0, 1, 1]))
        opt.zero_grad(); loss.backward(); opt.step()
    assert rec.attention_layers() == []
    assert "attention" not in json.loads(rec.to_json()) and "Attention" not in rec.to_html()
    with pytest.raises(ValueError, match="no attention"):
        rec.attention()


# -- a fused node (F.scaled_dot_product_attention's), read by its attributes probs/mask/scale --------
class _SDPA(Function):
    """A stand-in for ops.attention.ScaledDotProductAttention: softmax(q kᵀ·scale, masked) v."""

    def forward(self, q, k, v, mask=None, scale=None):
        self.scale = scale if scale is not None else 1 / np.sqrt(q.shape[-1])
        self.mask = mask
        s = q @ np.swapaxes(k, -1, -2) * self.scale
        if mask is not None:
            s = np.where(mask, -np.inf, s)
        e = np.exp(s - s.max(-1, keepdims=True))
        self.probs = e / e.sum(-1, keepdims=True)
        self.q, self.k, self.v = q, k, v
        return self.probs @ v

    def backward(self, g):
        p, v, q, k = self.probs, self.v, self.q, self.k
        gp = g @ np.swapaxes(v, -1, -2)
        gs = p * (gp - (p * gp).sum(-1, keepdims=True)) * self.scale
        return gs @ k, np.swapaxes(gs, -1, -2) @ q, np.swapaxes(p, -1, -2) @ g


class _Fused(glassnet.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = glassnet.nn.Linear(8, 24, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        q, k, v = [t.reshape(B, T, 2, 4).transpose(1, 2) for t in self.qkv(x).split(8, dim=-1)]
        mask = np.triu(np.ones((T, T), bool), 1)
        return _SDPA.apply(q, k, v, mask=mask)


def test_a_fused_attention_node_is_read_by_probs_mask_scale():
    glassnet.manual_seed(1)
    model = glassnet.nn.Sequential(_Fused())
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with explain.record(model, opt) as rec:
        out = model(glassnet.randn(2, 5, 8))
        loss = (out * out).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    assert rec.attention_layers() == ["0.head0", "0.head1"]
    site = A.attention_sites(rec)[0]
    assert site.fused and site.shape == (2, 2, 5, 5) and float(site.scale) == pytest.approx(0.5)
    h = rec.attention("0.head1", batch=1).heads[0]
    np.testing.assert_array_equal(h.weights, site.op.attrs["probs"][1, 1])
    np.testing.assert_array_equal(h.masked, np.triu(np.ones((5, 5), bool), 1))
    np.testing.assert_array_equal(h.norms["q"], np.linalg.norm(site.op.grad_inputs[0][1, 1], axis=-1))
    d = rec.derivation("0.head1[1, 4, 2]")
    assert d.agrees and d.value == pytest.approx(float(A.grad_scores(rec, site)[1, 1, 4, 2]))
    c = rec.attention_exact("0.head1[1, 4, 2]")
    assert c.scale_exact and c.formula_equal and c.differences()["grad_q"] < 1e-7
    assert rec.to_html().count("data:image/png") == 2
    explain.validate(json.loads(rec.to_json(version=2)))


def test_the_tiny_gpt_step_is_shown_complete():
    """The issue's tiny GPT (2 layers, 4 heads, 64 channels, context 32, batch 16): every head in
    the HTML and the JSON (the timing is benchmarks/bench_explain_gpt.py's, not a test's)."""
    _, _, rec = _gpt_step(GPTConfig(), batch=16)
    names = [f"blocks.{b}.sa.heads.{h}" for b in range(2) for h in range(4)]
    assert rec.attention_layers() == names
    html = rec.to_html()
    assert html.count("data:image/png") == 8 and all(n in html for n in names)
    doc = json.loads(rec.to_json())
    explain.validate(doc)
    assert [h["name"] for h in doc["attention"]["heads"]] == names
    assert all(len(h["weights"]) == 32 and h["masked"] == 32 * 31 // 2 for h in doc["attention"]["heads"])
    assert rec.derivation("blocks.1.sa.heads.3[15, 31, 0]").agrees
