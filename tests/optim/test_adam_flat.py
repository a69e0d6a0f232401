"""Adam's one-pass update over a whole group (``adam._Flat``) must give the per-parameter loop's
numbers bit for bit, keep ``optimizer.state`` torch-shaped, and fall back to the loop whenever
one pass cannot (a parameter without a gradient, mixed dtypes, amsgrad, a loaded state)."""
import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.optim import adam as adam_module


def _model(seed=0):
    glassnet.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3), nn.LayerNorm(3))


def _train(model, make_opt, steps, flat: bool, monkeypatch, skip_grad_at=None):
    if not flat:
        monkeypatch.setattr(adam_module, "_flat_state", lambda *a: None)
    opt = make_opt(model)
    x = glassnet.tensor(np.random.RandomState(1).randn(8, 5).astype(np.float32))
    for i in range(steps):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        if skip_grad_at == i:
            model[0].bias.grad = None  # one parameter without a gradient this step
        opt.step()
    monkeypatch.undo()
    return opt


OPTIMIZERS = {
    "adam": lambda m: glassnet.optim.Adam(m.parameters(), lr=0.01),
    "adamw": lambda m: glassnet.optim.AdamW(m.parameters(), lr=0.01),
    "adam_l2_maximize": lambda m: glassnet.optim.Adam(m.parameters(), lr=0.01, weight_decay=0.1,
                                                      maximize=True),
    "groups": lambda m: glassnet.optim.AdamW([{"params": m[0].parameters(), "lr": 0.02},
                                              {"params": list(m[2].parameters()) + list(m[3].parameters())}],
                                             lr=0.01),
    "amsgrad": lambda m: glassnet.optim.Adam(m.parameters(), lr=0.01, amsgrad=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("skip", [None, 2])
def test_one_pass_gives_the_loops_numbers_bit_for_bit(name, skip, monkeypatch):
    runs = {}
    for flat in (True, False):
        model = _model()
        opt = _train(model, OPTIMIZERS[name], 5, flat, monkeypatch, skip_grad_at=skip)
        runs[flat] = ([p.array.copy() for p in model.parameters()],
                      [{k: np.asarray(v.array).copy() for k, v in opt.state[p].items()} for p in model.parameters()])
    for a, b in zip(runs[True][0], runs[False][0]):
        np.testing.assert_array_equal(a, b)
    for sa, sb in zip(runs[True][1], runs[False][1]):
        assert sa.keys() == sb.keys()
        for k in sa:
            np.testing.assert_array_equal(sa[k], sb[k])


def test_the_one_pass_path_is_taken_and_state_stays_per_parameter(monkeypatch):
    model = _model()
    opt = _train(model, OPTIMIZERS["adamw"], 2, True, monkeypatch)
    assert opt.__dict__.get("_flat"), "the one-pass path was not used"
    for p in model.parameters():
        s = opt.state[p]
        assert s["exp_avg"].shape == p.shape and s["exp_avg_sq"].shape == p.shape
        assert float(s["step"]) == 2.0
    sd = opt.state_dict()
    assert sorted(sd["state"]) == list(range(len(list(model.parameters()))))


def test_a_loaded_state_is_used_and_not_the_stale_flat_copy(monkeypatch):
    model_a, model_b = _model(), _model()
    opt_a = _train(model_a, OPTIMIZERS["adam"], 3, True, monkeypatch)
    opt_b = _train(model_b, OPTIMIZERS["adam"], 1, True, monkeypatch)  # a flat state of its own
    opt_b.load_state_dict(opt_a.state_dict())
    with glassnet.no_grad():
        for pa, pb in zip(model_a.parameters(), model_b.parameters()):
            pb.copy_(pa)
    x = glassnet.tensor(np.random.RandomState(1).randn(8, 5).astype(np.float32))
    for model, opt in ((model_a, opt_a), (model_b, opt_b)):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(pa.array, pb.array)
    # and a write into a state tensor by the user is seen by the next step
    p = next(model_b.parameters())
    opt_b.state[p]["exp_avg"] = glassnet.zeros_like(p)
    opt_b.zero_grad()
    model_b(x).pow(2).mean().backward()
    opt_b.step()
    assert opt_b.state[p]["exp_avg"].array.base is not None  # re-laid into a new flat buffer
