"""The schedulers' learning rates (and OneCycleLR's momentum / β₁) step for step equal torch's,
over many steps, for several optimizers and two param groups; state_dict round trips; errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")

OPTIMIZERS = {
    "SGD": lambda lib, groups: lib.optim.SGD(groups, lr=0.1, momentum=0.9),
    "Adam": lambda lib, groups: lib.optim.Adam(groups, lr=0.01),
    "AdamW": lambda lib, groups: lib.optim.AdamW(groups, lr=0.02, betas=(0.8, 0.99)),
    "RMSprop": lambda lib, groups: lib.optim.RMSprop(groups, lr=0.01, momentum=0.5),
}


def _warmup_then_cosine(S, opt):
    return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=5),
                                S.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4)], milestones=[5])


SCHEDULERS = {
    "LambdaLR": lambda S, opt: S.LambdaLR(opt, [lambda e: 1 / (1 + e), lambda e: 0.97 ** e]),
    "MultiplicativeLR": lambda S, opt: S.MultiplicativeLR(opt, lambda e: 0.9 if e % 3 else 1.1),
    "MultiStepLR": lambda S, opt: S.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.5),
    "ConstantLR": lambda S, opt: S.ConstantLR(opt, factor=0.25, total_iters=6),
    "LinearLR_warmup": lambda S, opt: S.LinearLR(opt, start_factor=0.05, total_iters=10),
    "LinearLR_decay": lambda S, opt: S.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=25),
    "OneCycleLR_cos": lambda S, opt: S.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=40),
    "OneCycleLR_linear_three_phase": lambda S, opt: S.OneCycleLR(
        opt, max_lr=0.3, epochs=4, steps_per_epoch=10, anneal_strategy="linear", three_phase=True,
        div_factor=10.0, final_div_factor=100.0, pct_start=0.25),
    "OneCycleLR_no_momentum": lambda S, opt: S.OneCycleLR(opt, max_lr=0.4, total_steps=40, cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda S, opt: S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001),
    "PolynomialLR": lambda S, opt: S.PolynomialLR(opt, total_iters=25, power=0.9),
    "PolynomialLR_linear_default": lambda S, opt: S.PolynomialLR(opt),
    "CyclicLR_triangular": lambda S, opt: S.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4,
                                                     step_size_down=6),
    "CyclicLR_triangular2": lambda S, opt: S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3,
                                                      mode="triangular2", base_momentum=0.6, max_momentum=0.95),
    "CyclicLR_exp_range": lambda S, opt: S.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=5,
                                                    mode="exp_range", gamma=0.97),
    "CyclicLR_scale_fn_iterations": lambda S, opt: S.CyclicLR(
        opt, base_lr=0.001, max_lr=0.05, step_size_up=3, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False),
    "CosineAnnealingWarmRestarts_T_mult_1": lambda S, opt: S.CosineAnnealingWarmRestarts(opt, T_0=7),
    "SequentialLR": _warmup_then_cosine,
    "SequentialLR_three": lambda S, opt: S.SequentialLR(
        opt, [S.ConstantLR(opt, factor=0.5, total_iters=3), S.ExponentialLR(opt, gamma=0.9),
              S.StepLR(opt, step_size=4, gamma=0.3)], milestones=[4, 12]),
    "ChainedScheduler": lambda S, opt: S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=4),
                                                          S.ExponentialLR(opt, gamma=0.95)]),
}


def trajectory(lib, optimizer_name, scheduler_name, steps=40):
    p1 = lib.zeros(2, requires_grad=True)
    p2 = lib.zeros(3, requires_grad=True)
    opt = OPTIMIZERS[optimizer_name](lib, [{"params": [p1]}, {"params": [p2], "lr": 0.05}])
    sched = SCHEDULERS[scheduler_name](lib.optim.lr_scheduler, opt)
    seen = [sched.get_last_lr()]
    momenta = []
    for _ in range(steps - 1):
        (p1.sum() + (p2 * p2).sum()).backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        seen.append(sched.get_last_lr())
        momenta.append([g.get("betas", (g.get("momentum"),))[0] for g in opt.param_groups])
    return np.array(seen, dtype=float), np.array(momenta, dtype=float)


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("scheduler_name", sorted(SCHEDULERS))
def test_learning_rates_match_torch(optimizer_name, scheduler_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = trajectory(glassnet, optimizer_name, scheduler_name)
        theirs = trajectory(torch, optimizer_name, scheduler_name)
    for mine, ref in zip(ours, theirs):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("scheduler_name", sorted(SCHEDULERS))
def test_state_dict_round_trip_continues_the_schedule(scheduler_name):
    def run(lib, split):
        def groups():
            return [{"params": [lib.zeros(2, requires_grad=True)]},
                    {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.05}]

        opt = lib.optim.SGD(groups(), lr=0.1, momentum=0.9)
        sched = SCHEDULERS[scheduler_name](lib.optim.lr_scheduler, opt)
        for _ in range(split):
            opt.step()
            sched.step()
        state, opt_state = sched.state_dict(), opt.state_dict()
        opt2 = lib.optim.SGD(groups(), lr=0.1, momentum=0.9)
        sched2 = SCHEDULERS[scheduler_name](lib.optim.lr_scheduler, opt2)
        opt2.load_state_dict(opt_state)
        sched2.load_state_dict(state)
        lrs = []
        for _ in range(10):
            opt2.step()
            sched2.step()
            lrs.append(sched2.get_last_lr())
        return lrs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(run(glassnet, 7), run(torch, 7), rtol=1e-12)


@given(epochs=st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=12),
       T_0=st.integers(1, 6), T_mult=st.integers(1, 3))
def test_warm_restarts_with_fractional_epochs(epochs, T_0, T_mult):
    out = []
    for lib in (glassnet, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.01)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in epochs:
                opt.step()
                sched.step(e)
                lrs.append(sched.get_last_lr()[0])
        out.append(lrs + [sched.T_cur, sched.T_i, sched.last_epoch])
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_errors_as_torch():
    for lib in (glassnet, torch):
        S = lib.optim.lr_scheduler
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            sched.step()
        with pytest.raises(ValueError, match="You must define either total_steps OR"):
            S.OneCycleLR(opt, max_lr=1.0)
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            S.OneCycleLR(lib.optim.Adagrad([lib.zeros(1, requires_grad=True)]), max_lr=1.0, total_steps=3)
        with pytest.raises(ValueError, match="Expected positive integer T_0"):
            S.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
            S.LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0])
        with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers"):
            S.SequentialLR(opt, [S.ConstantLR(opt)], milestones=[2])
        with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
            S.LinearLR(opt, start_factor=0)
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
            S.ChainedScheduler([S.ReduceLROnPlateau(opt)])


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    for lib in (glassnet, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        fn = Decay()
        state = lib.optim.lr_scheduler.LambdaLR(opt, [fn]).state_dict()
        assert state["lr_lambdas"] == [{"rate": 0.5}]
        assert lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None]
        fn2 = Decay()
        fn2.rate = 0.1
        s2 = lib.optim.lr_scheduler.LambdaLR(opt, [fn2])
        s2.load_state_dict(state)
        assert fn2.rate == 0.5 and not math.isnan(s2.get_last_lr()[0])


def test_cyclic_and_polynomial_setup_and_errors_as_torch():
    """CyclicLR sets lr to base_lr and momentum to max_momentum when built; its errors; the
    state_dict keys of both schedulers and the closed form of PolynomialLR (step(epoch))."""
    results = []
    for lib in (glassnet, torch):
        S = lib.optim.lr_scheduler
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5, momentum=0.3)
        sched = S.CyclicLR(opt, base_lr=0.02, max_lr=0.2, step_size_up=3)
        row = [opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"], sorted(sched.state_dict())]
        with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
            S.CyclicLR(opt, 0.1, 1.0, mode="sawtooth")
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            S.CyclicLR(lib.optim.Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 1.0)
        with pytest.raises(ValueError, match="base_lr must have the same length as optimizer.param_groups"):
            S.CyclicLR(opt, [0.1, 0.2], 1.0)
        poly = S.PolynomialLR(lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5), total_iters=8, power=2.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (3, 6, 11):
                poly.step(epoch)
                row.append(poly.get_last_lr()[0])
        row.append(sorted(poly.state_dict()))
        results.append(row)
    assert results[0][:2] == results[1][:2] == [0.02, 0.9]
    assert set(results[1][2]) <= set(results[0][2])
    np.testing.assert_allclose(results[0][3:6], results[1][3:6], rtol=1e-15)
    assert set(results[1][6]) <= set(results[0][6])
