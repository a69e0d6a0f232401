"""LBFGS (closure-based) against torch.optim.LBFGS: the 3-5-2 MLP optimized for a few steps from
identical weights, with and without the strong-Wolfe line search, float32 and float64; state_dict
round trip; torch's errors."""
import numpy as np
import pytest

import glassnet

from .helpers import data, initial_arrays, mlp_loss, to_numpy

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")

TOL = {np.float32: 1e-4, np.float64: 1e-9}
# float32 runs one step (up to 20 quasi-Newton iterations): after three, torch's own float32 run is
# 1e-3 away from its float64 run, and glassnet's float32 run as far from torch's: rounding, amplified.
STEPS = {np.float32: 1, np.float64: 3}


def _setup(lib, dtype, kwargs, arrays=None):
    arrays = initial_arrays(dtype=dtype) if arrays is None else arrays
    params = [lib.tensor(np.array(a), requires_grad=True) for a in arrays]
    x, t = (lib.tensor(a.astype(dtype)) for a in data())
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = mlp_loss(lib, params, x, t)
        loss.backward()
        return loss
    return params, opt, closure


def _steps(lib, dtype, kwargs, steps):
    params, opt, closure = _setup(lib, dtype, kwargs)
    losses = [opt.step(closure).item() for _ in range(steps)]
    return params, opt, losses


CASES = [
    {},
    {"lr": 0.5, "max_iter": 5},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 10},
    {"lr": 0.1, "max_iter": 4, "max_eval": 3},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_steps_match_torch(kwargs, dtype):
    ours, our_opt, our_losses = _steps(glassnet, dtype, kwargs, STEPS[dtype])
    theirs, their_opt, their_losses = _steps(torch, dtype, kwargs, STEPS[dtype])
    tol = TOL[dtype]
    np.testing.assert_allclose(our_losses, their_losses, rtol=tol, atol=tol)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert to_numpy(a).dtype == dtype
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=tol, atol=tol, err_msg=f"param {i}")
    ours_state, theirs_state = our_opt.state_dict()["state"], their_opt.state_dict()["state"]
    assert list(ours_state) == list(theirs_state) == [0]
    assert set(ours_state[0]) == set(theirs_state[0])
    assert ours_state[0]["func_evals"] == theirs_state[0]["func_evals"]
    assert ours_state[0]["n_iter"] == theirs_state[0]["n_iter"]
    assert len(ours_state[0]["old_dirs"]) == len(theirs_state[0]["old_dirs"])
    np.testing.assert_allclose(to_numpy(ours_state[0]["d"]), to_numpy(theirs_state[0]["d"]),
                               rtol=100 * tol, atol=100 * tol)
    assert our_opt.param_groups[0].keys() == their_opt.param_groups[0].keys()
    assert our_opt.defaults == their_opt.defaults


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_exactly(line_search_fn):
    kwargs = {"max_iter": 4, "line_search_fn": line_search_fn}
    params, opt, closure = _setup(glassnet, np.float64, kwargs)
    opt.step(closure)
    saved = opt.state_dict()
    arrays = [np.array(p.array) for p in params]
    opt.step(closure)
    expected = [np.array(p.array) for p in params]

    params2, opt2, closure2 = _setup(glassnet, np.float64, kwargs, arrays=arrays)
    opt2.load_state_dict(saved)
    opt2.step(closure2)
    for a, b in zip(params2, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(a.array), b)


def test_a_torch_state_dict_loads_and_continues_alike():
    kwargs = {"max_iter": 4}
    theirs, their_opt, their_closure = _setup(torch, np.float64, kwargs)
    their_opt.step(their_closure)
    arrays = [p.detach().numpy().copy() for p in theirs]
    ours, our_opt, our_closure = _setup(glassnet, np.float64, kwargs, arrays=arrays)
    our_opt.load_state_dict(their_opt.state_dict())
    their_opt.step(their_closure)
    our_opt.step(our_closure)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-9, atol=1e-9)


def _raised(make):
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


@pytest.mark.parametrize("case", ["negative lr", "two groups"])
def test_invalid_arguments_raise_torchs_error(case):
    def make(lib):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        if case == "negative lr":
            return lib.optim.LBFGS([a], lr=-1.0)
        return lib.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    assert _raised(lambda: make(glassnet)) == _raised(lambda: make(torch))


def test_unknown_line_search_raises_at_step_like_torch():
    def run(lib):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.LBFGS([w], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        opt.step(closure)
    assert _raised(lambda: run(glassnet)) == _raised(lambda: run(torch))


def test_step_at_a_stationary_point_returns_at_once():
    w = glassnet.zeros(2, requires_grad=True)
    opt = glassnet.optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and opt.state[w]["func_evals"] == 1
