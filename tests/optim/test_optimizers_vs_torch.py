"""Every optimizer, over a spread of its options, against torch.optim.

Two kinds of check:
* the 3-5-2 MLP trained 50 steps from identical weights ends within ATOL_MLP on every parameter
  (engine and optimizer together);
* scripted gradients (the same random gradients fed to both libraries, no model) for 50 steps:
  parameters *and* optimizer state agree to TOL_SCRIPTED in float32 and to RTOL_F64 in float64
  (the optimizer alone; float64 leaves no room for a misplaced eps or bias correction).
"""
import numpy as np
import pytest

import glassnet

from .helpers import initial_arrays, to_numpy, train

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")

ATOL_MLP = 1e-5        # float32, 50 steps through the engine and the optimizer
TOL_SCRIPTED = 1e-6    # float32 rtol and atol, the optimizer alone (torch fuses multiply-adds)
RTOL_F64 = 1e-10       # float64, the optimizer alone

TWO_GROUPS = [{"params": [0, 1], "lr": 0.05}, {"params": [2, 3]}]

CASES = [
    ("SGD", {"lr": 0.1}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, None),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01, "maximize": True}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, TWO_GROUPS),
    ("Adam", {"lr": 0.01}, None),
    ("Adam", {"lr": 0.01, "amsgrad": True}, None),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}, None),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.999)}, None),  # 1 - beta1 >= 0.5: lerp's other branch
    ("Adam", {"lr": 0.01, "maximize": True}, None),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("Adam", {"lr": 0.01}, TWO_GROUPS),
    ("AdamW", {"lr": 0.01}, None),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, None),
    ("AdamW", {"lr": 0.01, "maximize": True}, None),
    ("AdamW", {"lr": 0.01}, TWO_GROUPS),
    ("RMSprop", {"lr": 0.01}, None),
    ("RMSprop", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}, None),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}, None),
    ("RMSprop", {"lr": 0.01, "maximize": True}, None),
    ("RMSprop", {"lr": 0.01}, TWO_GROUPS),
    ("Adagrad", {"lr": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}, None),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "eps": 1e-6, "maximize": True}, None),
    ("Adagrad", {"lr": 0.1}, TWO_GROUPS),
    ("NAdam", {"lr": 0.01}, None),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("NAdam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "momentum_decay": 0.05}, None),
    ("NAdam", {"lr": 0.01, "betas": (0.3, 0.999)}, None),  # 1 - beta1 >= 0.5: lerp's other branch
    ("NAdam", {"lr": 0.01, "maximize": True}, None),
    ("NAdam", {"lr": 0.01}, TWO_GROUPS),
    ("RAdam", {"lr": 0.01}, None),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("RAdam", {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6}, None),
    ("RAdam", {"lr": 0.01, "maximize": True}, None),
    ("RAdam", {"lr": 0.01}, TWO_GROUPS),
    ("Adamax", {"lr": 0.01}, None),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("Adamax", {"lr": 0.02, "betas": (0.3, 0.9), "eps": 1e-6}, None),
    ("Adamax", {"lr": 0.01, "maximize": True}, None),
    ("Adamax", {"lr": 0.01}, TWO_GROUPS),
    ("Adadelta", {}, None),
    ("Adadelta", {"lr": 0.5, "weight_decay": 0.1}, None),
    ("Adadelta", {"lr": 1.0, "rho": 0.8, "eps": 1e-5}, None),
    ("Adadelta", {"maximize": True}, None),
    ("Adadelta", {"lr": 0.5}, TWO_GROUPS),
    ("ASGD", {"lr": 0.05}, None),
    ("ASGD", {"lr": 0.05, "weight_decay": 0.1}, None),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 10}, None),  # averaging from step 11
    ("ASGD", {"lr": 0.05, "maximize": True, "t0": 0}, None),
    ("ASGD", {"lr": 0.05}, TWO_GROUPS),
]


def _id(case):
    name, kwargs, groups = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({opts}){'-two-groups' if groups else ''}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_mlp_trained_50_steps_matches_torch(case):
    name, kwargs, groups = case
    ours, _ = train(glassnet, name, kwargs, groups)
    theirs, _ = train(torch, name, kwargs, groups)
    start = initial_arrays()
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert not np.allclose(to_numpy(b), start[i], atol=1e-3), "the parameter should have moved"
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=0, atol=ATOL_MLP, err_msg=f"param {i}")


SCRIPTED_SHAPES = [(4, 3), (3,), ()]  # a 0-d parameter too


def _scripted_run(lib, name, kwargs, dtype, steps=50):
    """Feed the same random gradients to ``lib.optim.<name>``; return (params, optimizer)."""
    arrays = initial_arrays(seed=2, shapes=SCRIPTED_SHAPES, dtype=dtype)
    rng = np.random.default_rng(3)
    grads = [[rng.standard_normal(s).astype(dtype) for s in SCRIPTED_SHAPES] for _ in range(steps)]
    params = [lib.tensor(np.array(a), requires_grad=True) for a in arrays]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(np.array(g))
        opt.step()
    return params, opt


ONE_GROUP = [c for c in CASES if c[2] is None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", ONE_GROUP, ids=[_id(c) for c in ONE_GROUP])
def test_scripted_gradients_params_and_state_match_torch(case, dtype):
    name, kwargs, _ = case
    ours, our_opt = _scripted_run(glassnet, name, kwargs, dtype)
    theirs, their_opt = _scripted_run(torch, name, kwargs, dtype)
    if dtype == np.float32:
        tol = {"rtol": TOL_SCRIPTED, "atol": TOL_SCRIPTED}
    else:
        tol = {"rtol": RTOL_F64, "atol": 1e-12}
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert to_numpy(a).dtype == dtype
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), **tol, err_msg=f"param {i}")
    our_state, their_state = our_opt.state_dict()["state"], their_opt.state_dict()["state"]
    assert our_state.keys() == their_state.keys()
    for pid in their_state:
        assert list(our_state[pid]) == list(their_state[pid]), "state keys, in torch's order"
        for key, value in their_state[pid].items():
            np.testing.assert_allclose(to_numpy(our_state[pid][key]), to_numpy(value), **tol,
                                       err_msg=f"state[{pid}][{key!r}]")
