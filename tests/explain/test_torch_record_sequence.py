"""``explain.record`` on torch transformers and LSTMs: calls that return tuples
(``F.multi_head_attention_forward``'s (out, weights), ``_VF.lstm``'s (out, h, c)) are replayed
through glassnet's attention and recurrent nodes, and the recording agrees with the one of the
glassnet twin crossed by ``glassnet.bridge.from_torch`` (float32, within tolerance: both sum)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
from glassnet.bridge import from_torch  # noqa: E402
from glassnet.explain import record  # noqa: E402

nn = torch.nn


class AttentionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(4, 8)
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)
        self.enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        h = self.emb(x)
        a, _ = self.mha(h, h, h)
        return self.out(self.enc(h + a)).mean(1)


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
        self.out = nn.Linear(5, 1)

    def forward(self, x):
        o, (h, c) = self.lstm(x)
        return self.out(o[:, -1] + c[-1])


class ProjLSTMNet(nn.Module):
    """An LSTM with projections (proj_size): torch's call replayed with glassnet's weight_hr."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, proj_size=2)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        o, (h, c) = self.lstm(x)
        return self.out(o[:, -1]) + c[-1].sum(1, keepdim=True)


def step(lib, model, x, y):
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # Adam would blow up
    # the key bias's gradient, zero up to rounding (softmax ignores a constant per row)
    x, y = lib.tensor(x), lib.tensor(y)
    functional = torch.nn.functional if lib is torch else glassnet.nn.functional
    with record(model, opt) as rec:
        loss = functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return rec


@pytest.mark.parametrize("net", [AttentionNet, LSTMNet, ProjLSTMNet])
def test_torch_sequence_step_agrees_with_its_glassnet_twin(net):
    torch.manual_seed(0)
    tmodel = net()
    gmodel = from_torch(tmodel)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4 if net is AttentionNet else 3)).astype("float32")
    y = rng.normal(size=(3, 1)).astype("float32")
    t = step(torch, tmodel, x, y)
    g = step(glassnet, gmodel, x, y)
    assert np.isclose(t.effect.loss_before, g.effect.loss_before, rtol=1e-5)
    assert np.isclose(t.effect.loss_after, g.effect.loss_after, rtol=1e-4)
    np.testing.assert_allclose(t.effect.predictions_before, g.effect.predictions_before, atol=1e-5)
    tp, gp = {p.name: p for p in t.params}, {p.name: p for p in g.params}
    assert tp.keys() == gp.keys()
    for name in tp:
        np.testing.assert_allclose(tp[name].grad, gp[name].grad, atol=1e-5, rtol=1e-4, err_msg=name)
        np.testing.assert_allclose(tp[name].after, gp[name].after, atol=1e-5, err_msg=name)
    # the ops glassnet replayed carry torch's values and gradients: the same op names as the twin's
    assert sorted({o.op for o in t.ops}) == sorted({o.op for o in g.ops})
    for view in ("forward", "backward", "gradients", "update", "effect"):
        assert str(t.table(view))
    assert "<" in t.to_html()


def test_torch_attention_weights_view_matches_the_twin():
    torch.manual_seed(1)
    tmodel = AttentionNet()
    gmodel = from_torch(tmodel)
    x = np.random.default_rng(1).normal(size=(2, 5, 4)).astype("float32")
    y = np.zeros((2, 1), dtype="float32")
    t, g = step(torch, tmodel, x, y), step(glassnet, gmodel, x, y)
    assert t.attention_layers() == g.attention_layers()
    tv, gv = t.attention().to_dict(), g.attention().to_dict()
    assert str(t.attention())
    np.testing.assert_allclose(np.asarray(tv["heads"][0]["weights"]), np.asarray(gv["heads"][0]["weights"]),
                               atol=1e-5)


def test_torch_lstm_gates_view():
    torch.manual_seed(2)
    tmodel = LSTMNet()
    gmodel = from_torch(tmodel)
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    y = np.zeros((2, 1), dtype="float32")
    t, g = step(torch, tmodel, x, y), step(glassnet, gmodel, x, y)
    assert str(t.lstm_step(layer=1, t=2)) == str(g.lstm_step(layer=1, t=2)) or \
        np.allclose(t.lstm_step(layer=1, t=2).to_dict()["gates"]["i"],
                    g.lstm_step(layer=1, t=2).to_dict()["gates"]["i"], atol=1e-5)
