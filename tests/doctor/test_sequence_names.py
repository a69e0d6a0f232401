"""The sequence checks on both engines, beyond the corpus: two models of one class in a script are
told apart in the report (by the script's names for them, teacher and student, else GPT and GPT#2;
parameters included), the pad token of padding-last-step
is found whatever its index, and the key-padding masks are read through every API."""
import json

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.observe.sequence import key_padding, last_step_axis, mixes_axes

TWO_GPTS = '''
{imports}
torch.manual_seed(0)
T, V, D = 12, 20, 32
data = torch.randint(0, V, (400,))


class GPT(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.causal = causal
        self.tok, self.pos = nn.Embedding(V, D), nn.Embedding(T, D)
        self.query, self.key = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
        self.head = nn.Linear(D, V)
        self.register_buffer("tril", torch.tril(torch.ones(T, T)))

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * D ** -0.5
        if self.causal:
            wei = wei.masked_fill(self.tril == 0, float("-inf"))
        return self.head(F.softmax(wei, dim=-1) @ x)


teacher, student = GPT(causal=True), GPT(causal=False)     # the second forgot its mask
optimizer = torch.optim.Adam(list(teacher.parameters()) + list(student.parameters()), lr=1e-3)
for step in range(30):
    ix = torch.randint(0, len(data) - T - 1, (8,))
    x = torch.stack([data[i:i + T] for i in ix])
    y = torch.stack([data[i + 1:i + T + 1] for i in ix])
    loss = sum(F.cross_entropy(m(x).reshape(-1, V), y.reshape(-1)) for m in (teacher, student))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
'''
ENGINES = {"torch": "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F",
           "glassnet": "import glassnet as torch\nfrom glassnet import nn\nfrom glassnet.nn import functional as F"}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_two_models_of_one_class_get_distinct_names(engine, tmp_path, capsys):
    if engine == "torch":
        pytest.importorskip("torch")
    script = tmp_path / "two_gpts.py"
    script.write_text(TWO_GPTS.format(imports=ENGINES[engine]))
    main(["doctor", str(script), "--format", "json", "--threads", "1"])
    report = json.loads(capsys.readouterr().out)
    causal = [f for f in report["findings"] if f["id"] == "causal-mask-missing"]
    assert causal, report["findings"]
    assert causal[0]["where"]["layer"].startswith("student"), causal[0]["where"]   # the script's name


@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_parameters_of_two_models_of_one_class_are_all_measured(engine):
    if engine == "torch":
        torch = pytest.importorskip("torch")
        from glassnet.observe import TorchObserver as Observer
    else:
        import glassnet as torch
        from glassnet.doctor.engine_observe import GlassnetObserver as Observer
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(list(a.parameters()) + list(b.parameters()), lr=0.1)
    with Observer(max_steps=None) as seen:
        x = torch.randn(4, 3)
        loss = (a(x) - b(x)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert set(seen.steps[0].params) == {"Linear.weight", "Linear.bias", "Linear#2.weight",
                                         "Linear#2.bias"}
    assert sorted(seen.names[id(m)] for m in (a, b)) == ["Linear", "Linear#2"]


def test_key_padding_keeps_only_the_keys_hidden_from_every_query():
    pad = np.array([[0, 0, 1, 1], [0, 0, 0, 1]], dtype=bool)          # (B, S), True = padding
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    combined = pad[:, None, None, :] | causal                         # (B, 1, L, S)
    assert np.array_equal(key_padding(combined, 4), pad)
    assert np.array_equal(key_padding(pad[:, None, :], 3), pad)       # (B, 1, S), no heads
    assert key_padding(causal, 4) is None                             # no batch axis of its own
    assert not key_padding(np.broadcast_to(causal, (2, 1, 4, 4)), 4).any()


def test_the_index_and_view_measures():
    assert last_step_axis((8, 5, 16), True, (slice(None), -1)) == 1
    assert last_step_axis((5, 8, 16), True, -1) == 0
    assert last_step_axis((8, 5, 16), True, (slice(None), -1, slice(None))) == 1
    assert last_step_axis((8, 5, 16), True, (Ellipsis, slice(None, 4))) is None
    assert last_step_axis((8, 5, 16), False, (slice(None), -1)) is None
    assert last_step_axis((8, 5, 16), True, (slice(None), 2)) is None
    assert mixes_axes((32, 5, 24), (768, 5)) and not mixes_axes((32, 24, 5), (768, 5))


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_fresh_model_per_fold_replaces_the_last_one(engine):
    """k-fold training builds a new model of the same class per fold: the old one is not a second
    model (its parameters are not measured), and the parameters keep their plain names."""
    if engine == "torch":
        torch = pytest.importorskip("torch")
        from glassnet.observe import TorchObserver as Observer
    else:
        import glassnet as torch
        from glassnet.doctor.engine_observe import GlassnetObserver as Observer
    x, y = torch.randn(8, 3), torch.randn(8, 2)
    with Observer(max_steps=None) as seen:
        for fold in range(2):
            model = torch.nn.Linear(3, 2)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for _ in range(2):
                opt.zero_grad()
                ((model(x) - y) ** 2).mean().backward()
                opt.step()
    assert set(seen.steps[-1].params) == {"weight", "bias"}
    assert all(p.update_norm for p in seen.steps[-1].params.values())
