"""doctor.check on glassnet models: the corpus's bugs rebuilt on glassnet's own engine, and a
healthy twin for each family; plus check() on a torch model and the --data recipe (spiral)."""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet import doctor

N = 512


def _data(n=N, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    return X


def _binary(X):
    return ((X[:, 0] + X[:, 1] * X[:, 2]) > 0).astype(np.float32).reshape(-1, 1)


def _mlp(*layers, seed=0):
    gn.manual_seed(seed)
    return nn.Sequential(*layers)


def _t(a):
    return gn.tensor(np.asarray(a))


def healthy():
    X = _data()
    return _mlp(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), (_t(X), _t(_binary(X))), \
        nn.BCEWithLogitsLoss(), None


def sigmoid_before_bce_logits():
    model, data, loss, opt = healthy()
    return nn.Sequential(*model, nn.Sigmoid()), data, loss, opt


def softmax_before_cross_entropy():
    X = _data()
    y = ((X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5).astype(np.int64))
    return _mlp(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1)), \
        (_t(X), _t(y)), nn.CrossEntropyLoss(), None


def labels_one_and_two():
    X = _data()
    return _mlp(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), (_t(X), _t(_binary(X) + 1)), \
        nn.BCEWithLogitsLoss(), None


def confident_start():
    y = np.arange(1000) % 10
    X = (3 * np.random.default_rng(1).standard_normal((10, 8))[y]
         + np.random.default_rng(2).standard_normal((1000, 8))).astype(np.float32)
    model = _mlp(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 10))
    nn.init.normal_(model[2].weight, std=3.0)
    return model, (_t(X), _t(y)), nn.CrossEntropyLoss(), None


def unscaled():
    X = _data(d=2)
    raw = np.stack([250_000 + 80_000 * X[:, 0], 1_800 + 400 * X[:, 1]], 1).astype(np.float32)
    y = ((X[:, 0] + X[:, 1]) > 0).astype(np.float32).reshape(-1, 1)
    return _mlp(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)), (_t(raw), _t(y)), \
        nn.BCEWithLogitsLoss(), None


def nan_inputs():
    model, (X, y), loss, opt = healthy()
    Xa = X.numpy().copy()
    Xa[:, 3] = np.nan                                      # 0/0 from standardising a constant column
    return model, (_t(Xa), y), loss, opt


def lr_high():
    X = _data(256, 3)
    y = (X @ np.array([[1.5], [-2.0], [0.5]], np.float32)).astype(np.float32)
    model = _mlp(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1))
    return model, (_t(X), _t(y)), nn.MSELoss(), gn.optim.SGD(model.parameters(), lr=2.0)


def lr_low():
    model, data, loss, _ = healthy()
    return model, data, loss, gn.optim.SGD(model.parameters(), lr=1e-5)


def head_not_in_optimizer():
    model, data, loss, _ = healthy()
    return model, data, loss, gn.optim.Adam(model[0].parameters(), lr=0.01)


class _Detached(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 32), nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(gn.relu(self.fc1(x)).detach())


def detached():
    gn.manual_seed(0)
    model, (X, y), loss, _ = healthy()
    return _Detached(), (X, y), loss, None


def dead_relu():
    model, data, loss, opt = healthy()
    nn.init.constant_(model[0].bias, -5.0)
    return model, data, loss, opt


def saturated_tanh():
    X = _data(d=8)
    y = (X[:, :4].sum(1) > 0).astype(np.float32).reshape(-1, 1)
    model = _mlp(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    nn.init.normal_(model[0].weight, std=5.0)
    return model, (_t(X), _t(y)), nn.BCEWithLogitsLoss(), None


def deep(activation, init=None):
    X = _data(d=8)
    y = (X[:, :4].sum(1) > 0).astype(np.float32).reshape(-1, 1)
    layers, width = [], 8
    for _ in range(10):
        layers += [nn.Linear(width, 32), activation()]
        width = 32
    model = _mlp(*layers, nn.Linear(32, 1))
    if init:
        for m in model:
            if isinstance(m, nn.Linear):
                init(m.weight)
    return model, (_t(X), _t(y)), nn.BCEWithLogitsLoss(), gn.optim.SGD(model.parameters(), lr=0.1)


def exploding():
    X = _data(256, 32)
    y = (X[:, :1] - X[:, 1:2]).astype(np.float32)
    layers = []
    for _ in range(8):
        layers += [nn.Linear(32, 32), nn.ReLU()]
    model = _mlp(*layers, nn.Linear(32, 1))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=1.0)
    return model, (_t(X), _t(y)), nn.MSELoss(), gn.optim.SGD(model.parameters(), lr=1e-4)


def imbalanced():
    X = _data(2000)
    y = ((X[:, 0] + 0.5 * X[:, 1]) > 2.0).astype(np.float32).reshape(-1, 1)
    return _mlp(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), (_t(X), _t(y)), \
        nn.BCEWithLogitsLoss(), None


def bounded_output():
    X = _data(d=3)
    y = (2.5 + 2.5 * np.tanh(X[:, :1] + X[:, 1:2])).astype(np.float32)
    return _mlp(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1), nn.Tanh()), (_t(X), _t(y)), \
        nn.MSELoss(), None


def softmax_one_unit():
    model, data, loss, opt = healthy()
    return nn.Sequential(*model, nn.Softmax(dim=1)), data, nn.MSELoss(), opt


BUGS = {
    "loss-activation-mismatch": [sigmoid_before_bce_logits, softmax_before_cross_entropy,
                                 softmax_one_unit],
    "labels-vs-loss": [labels_one_and_two], "initial-loss": [confident_start],
    "unscaled-input": [unscaled], "nan": [nan_inputs], "lr-too-high": [lr_high],
    "lr-too-low-or-stalled": [lr_low], "param-not-in-optimizer": [head_not_in_optimizer],
    "frozen": [detached], "dead-relu": [dead_relu], "saturation": [saturated_tanh],
    "vanishing-gradient": [lambda: deep(nn.Sigmoid)], "exploding-gradient": [exploding],
    "label-imbalance": [imbalanced], "overfit-one-batch": [bounded_output],
}
CASES = [(bug, build) for bug, builders in BUGS.items() for build in builders]


@pytest.mark.parametrize("expected,build", CASES, ids=[f"{b}-{i}" for i, (b, _) in enumerate(CASES)])
def test_check_finds_the_bug_on_glassnet_models(expected, build):
    model, data, loss, opt = build()
    before = [p.detach().numpy().copy() for p in model.parameters()]
    report = doctor.check(model, data, loss, opt, steps=120)
    assert report.engine == "glassnet"
    assert expected in report.ids(), report.to_text()
    for p, b in zip(model.parameters(), before):            # the user's model is untouched
        np.testing.assert_array_equal(p.detach().numpy(), b)


@pytest.mark.parametrize("build", [healthy, lambda: deep(nn.ReLU, lambda w: nn.init.kaiming_uniform_(
    w, nonlinearity="relu"))], ids=["mlp", "deep-relu-kaiming"])
def test_healthy_glassnet_models_get_no_error_or_warning(build):
    model, data, loss, opt = build()
    report = doctor.check(model, data, loss, opt, steps=120)
    assert not report.ids("error") and not report.ids("warning"), report.to_text()


def test_check_on_a_torch_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    X = torch.randn(256, 4)
    y = (X[:, 0] > 0).float().unsqueeze(1)
    good = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    report = doctor.check(good, (X, y), torch.nn.BCEWithLogitsLoss(), steps=60)
    assert report.engine == "torch" and not report.errors, report.to_text()
    bad = torch.nn.Sequential(*good, torch.nn.Sigmoid())
    report = doctor.check(bad, (X, y), torch.nn.BCEWithLogitsLoss(),
                          torch.optim.SGD(bad.parameters(), lr=0.1), steps=60)
    assert "loss-activation-mismatch" in report.ids("error")


def test_spiral_is_reported_noise_limited_not_broken():
    """Seed 003's spiral: no error, and the kNN baseline (≈ 60 %) explains the plateau."""
    from glassnet.training import resolve
    report = doctor.diagnose_spec(resolve({"data": "spiral", "hidden": "16 8"}), steps=100)
    assert not report.errors, report.to_text()
    note = next(f for f in report.findings if f.id == "noise-limited")
    assert 0.5 < note.evidence["measured"] < 0.7
    clean = doctor.diagnose_spec(resolve({"data": "circle"}), steps=50, probe=False)
    assert "noise-limited" not in clean.ids()


@pytest.mark.parametrize("data", ["xor", "iris", "digits"])
def test_the_train_recipes_defaults_get_no_error_or_warning(data):
    from glassnet.training import resolve
    report = doctor.diagnose_spec(resolve({"data": data}), steps=100, probe=False)
    assert not report.ids("error") and not report.ids("warning"), report.to_text()


def test_check_leaves_glassnet_random_state_as_it_was():
    model, data, loss, opt = healthy()
    gn.manual_seed(123)
    expected = gn.randn(3).numpy()
    gn.manual_seed(123)
    doctor.check(model, data, loss, opt, steps=10)
    np.testing.assert_array_equal(gn.randn(3).numpy(), expected)
