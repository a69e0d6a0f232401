"""Optimizers and schedulers cross with their state: after k steps on one side, the crossed
optimizer's next step gives the same parameters as the original's (float64 to 1e-12, float32 to
1e-6), for every optimizer and scheduler glassnet has, in both directions."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
import glassnet.optim as goptim  # noqa: E402
from glassnet.bridge import CrossingError, from_torch, to_torch  # noqa: E402
from glassnet.optim import lr_scheduler as gsched  # noqa: E402

TOL = {np.float64: 1e-12, np.float32: 1e-6}

OPTIMIZERS = {
    "SGD": dict(lr=0.1),
    "SGD(momentum, nesterov, weight_decay)": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "SGD(dampening, maximize)": dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True),
    "Adam": dict(lr=0.01),
    "Adam(amsgrad, weight_decay)": dict(lr=0.01, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.01, weight_decay=0.05),
    "RMSprop": dict(lr=0.01),
    "RMSprop(centered, momentum)": dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "NAdam": dict(lr=0.01, weight_decay=0.01),
    "NAdam(decoupled_weight_decay, momentum_decay)": dict(lr=0.01, weight_decay=0.1,
                                                          decoupled_weight_decay=True, momentum_decay=0.01),
    "RAdam": dict(lr=0.01),
    "RAdam(decoupled_weight_decay)": dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "Adamax": dict(lr=0.01, weight_decay=0.01),
    "Adadelta": dict(lr=0.5, rho=0.8, weight_decay=0.01),
    "ASGD": dict(lr=0.05, t0=2, lambd=0.01),
}


def data(dtype):
    rng = np.random.default_rng(5)
    return rng.normal(size=(16, 3)).astype(dtype), rng.normal(size=(16, 2)).astype(dtype)


def step(lib, model, optimizer, x, t):
    optimizer.zero_grad()
    loss = ((model(lib.tensor(x)) - lib.tensor(t)) ** 2).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


def params(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def close_all(a, b, dtype):
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_allclose(x, y, rtol=TOL[dtype], atol=TOL[dtype])


def glassnet_model(dtype):
    glassnet.manual_seed(1)
    model = gnn.Sequential(gnn.Linear(3, 5), gnn.Tanh(), gnn.Linear(5, 2))
    return model.double() if dtype is np.float64 else model


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_crosses_to_torch_and_back(name, dtype):
    cls = getattr(goptim, name.split("(")[0])
    x, t = data(dtype)
    model = glassnet_model(dtype)
    optimizer = cls(model.parameters(), **OPTIMIZERS[name])
    for _ in range(3):
        step(glassnet, model, optimizer, x, t)
    tmodel = to_torch(model)
    toptimizer = to_torch(optimizer)
    assert type(toptimizer) is getattr(torch.optim, type(optimizer).__name__)
    for g_state, t_state in zip(optimizer.state.values(), toptimizer.state.values(), strict=True):
        assert g_state.keys() == t_state.keys()
        if "step" in g_state:
            assert float(t_state["step"]) == float(g_state["step"]) == 3.0
    for _ in range(2):   # the next steps agree: moments, step counts and options came across
        step(glassnet, model, optimizer, x, t)
        step(torch, tmodel, toptimizer, x, t)
        close_all(params(model), params(tmodel), dtype)
    back_model = from_torch(tmodel)
    back = from_torch(toptimizer)
    assert type(back) is type(optimizer)
    step(glassnet, back_model, back, x, t)
    step(torch, tmodel, toptimizer, x, t)
    close_all(params(back_model), params(tmodel), dtype)


def test_the_optimizer_table_covers_every_optimizer_glassnet_has():
    names = {n for n in dir(goptim) if isinstance(getattr(goptim, n), type)
             and issubclass(getattr(goptim, n), goptim.Optimizer) and n != "Optimizer"}
    assert names - {"LBFGS"} <= {n.split("(")[0] for n in OPTIMIZERS}, names   # LBFGS: below


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_crosses_with_its_history_and_back(line_search_fn, dtype):
    x, t = data(dtype)

    def closure_for(lib, model, optimizer):
        def closure():
            optimizer.zero_grad()
            loss = ((model(lib.tensor(x)) - lib.tensor(t)) ** 2).mean()
            loss.backward()
            return loss
        return closure

    model = glassnet_model(dtype)
    optimizer = goptim.LBFGS(model.parameters(), max_iter=3, line_search_fn=line_search_fn)
    optimizer.step(closure_for(glassnet, model, optimizer))
    tmodel, toptimizer = to_torch(model), to_torch(optimizer)
    assert type(toptimizer) is torch.optim.LBFGS
    (g_state,), (t_state,) = optimizer.state.values(), toptimizer.state.values()
    assert g_state.keys() == t_state.keys()
    assert len(t_state["old_dirs"]) == len(g_state["old_dirs"]) > 0
    assert all(isinstance(v, torch.Tensor) for v in t_state["old_dirs"] + t_state["ro"])
    optimizer.step(closure_for(glassnet, model, optimizer))
    toptimizer.step(closure_for(torch, tmodel, toptimizer))
    close_all(params(model), params(tmodel), dtype)
    back_model, back = from_torch(tmodel), from_torch(toptimizer)
    assert type(back) is goptim.LBFGS
    back.step(closure_for(glassnet, back_model, back))
    toptimizer.step(closure_for(torch, tmodel, toptimizer))
    close_all(params(back_model), params(tmodel), dtype)


def test_a_torch_optimizer_crosses_to_glassnet():
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    toptimizer = torch.optim.Adam(tmodel.parameters(), lr=0.02, betas=(0.8, 0.99))
    x, t = data(np.float64)
    step(torch, tmodel, toptimizer, x, t)
    model, optimizer = from_torch(tmodel), from_torch(toptimizer)
    assert optimizer.param_groups[0]["betas"] == (0.8, 0.99)
    for _ in range(3):
        step(torch, tmodel, toptimizer, x, t)
        step(glassnet, model, optimizer, x, t)
    close_all(params(model), params(tmodel), np.float64)


SCHEDULERS = {
    "StepLR": dict(step_size=2, gamma=0.5),
    "ExponentialLR": dict(gamma=0.9),
    "CosineAnnealingLR": dict(T_max=5, eta_min=0.001),
    "ReduceLROnPlateau": dict(factor=0.5, patience=1, min_lr=0.002),
    "LambdaLR": dict(lr_lambda=lambda epoch: 0.9 ** epoch),
    "MultiplicativeLR": dict(lr_lambda=lambda epoch: 0.95),
    "MultiStepLR": dict(milestones=[2, 4, 4], gamma=0.5),
    "ConstantLR": dict(factor=0.5, total_iters=4),
    "LinearLR": dict(start_factor=0.2, total_iters=5),
    "CosineAnnealingWarmRestarts": dict(T_0=2, T_mult=2, eta_min=0.001),
    "OneCycleLR": dict(max_lr=0.3, total_steps=10, div_factor=10.0, three_phase=True),
    "PolynomialLR": dict(total_iters=6, power=0.9),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.2, step_size_up=2, step_size_down=3, mode="triangular2",
                     base_momentum=0.7),
    "SequentialLR": "LinearLR(start_factor=0.5, total_iters=2) then ExponentialLR(gamma=0.8) at 3",
    "ChainedScheduler": "ConstantLR(factor=0.5, total_iters=4) and ExponentialLR(gamma=0.9)",
}


def make_scheduler(name, optimizer):
    if name == "SequentialLR":
        return gsched.SequentialLR(optimizer, [gsched.LinearLR(optimizer, start_factor=0.5, total_iters=2),
                                               gsched.ExponentialLR(optimizer, gamma=0.8)], milestones=[3])
    if name == "ChainedScheduler":
        return gsched.ChainedScheduler([gsched.ConstantLR(optimizer, factor=0.5, total_iters=4),
                                        gsched.ExponentialLR(optimizer, gamma=0.9)])
    return getattr(gsched, name)(optimizer, **SCHEDULERS[name])


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedulers_continue_where_they_were(name):
    x, t = data(np.float64)
    model = glassnet_model(np.float64)
    optimizer = goptim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = make_scheduler(name, optimizer)
    plateau = name == "ReduceLROnPlateau"
    losses = [1.0, 0.9, 0.95, 0.97, 0.99, 0.98, 0.99, 1.0]
    for k in range(3):
        step(glassnet, model, optimizer, x, t)
        scheduler.step(losses[k]) if plateau else scheduler.step()
    tmodel, toptimizer = to_torch(model), to_torch(optimizer)
    tscheduler = to_torch(scheduler)
    assert type(tscheduler).__name__ == name
    assert tscheduler.get_last_lr() == scheduler.get_last_lr()
    for k in range(3, 8):
        step(glassnet, model, optimizer, x, t)
        step(torch, tmodel, toptimizer, x, t)
        for s in (scheduler, tscheduler):
            s.step(losses[k]) if plateau else s.step()
        np.testing.assert_allclose(tscheduler.get_last_lr(), scheduler.get_last_lr(), rtol=1e-15)
        close_all(params(model), params(tmodel), np.float64)
    back = from_torch(tscheduler)
    assert type(back) is type(scheduler) and getattr(back, "last_epoch", None) == getattr(scheduler, "last_epoch", None)


def test_the_scheduler_table_covers_every_scheduler_glassnet_has():
    names = {n for n in dir(gsched) if isinstance(getattr(gsched, n), type)
             and issubclass(getattr(gsched, n), gsched.LRScheduler) and n != "LRScheduler"}
    assert names <= set(SCHEDULERS), names


def test_an_optimizer_before_its_model_is_refused_with_the_order():
    model = gnn.Linear(2, 1)
    optimizer = goptim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(CrossingError, match=r"cross the model first \(to_torch\(model\)\)"):
        to_torch(optimizer)
    scheduler = gsched.StepLR(optimizer, 3)
    with pytest.raises(CrossingError, match="optimizer has not crossed"):
        to_torch(scheduler)


def test_a_torch_optimizer_glassnet_lacks_is_named():
    model = torch.nn.Linear(2, 1)
    from_torch(model)
    with pytest.raises(CrossingError, match=r"torch\.optim\.sparse_adam\.SparseAdam has no counterpart"):
        from_torch(torch.optim.SparseAdam(model.parameters()))
