"""Learning-rate schedulers against torch.optim.lr_scheduler: the same rates at every epoch
(compared with ==: both compute in Python floats, in the same order), the same state_dict."""
import copy
import warnings

import pytest

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")

EPOCHS = 30

SCHEDULES = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),  # 30 epochs: down, back up, and down again
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
]


def _optimizer(lib, lrs=(0.1, 0.03)):
    """An SGD optimizer with one param group per learning rate."""
    return lib.optim.SGD([{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], lr=lrs[0])


def _rates(lib, name, kwargs, epochs=EPOCHS):
    opt = _optimizer(lib)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    rates = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == rates[-1]
    return rates, sched


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}{k}" for n, k in SCHEDULES])
def test_rates_equal_torchs_for_30_epochs(name, kwargs):
    ours, our_sched = _rates(glassnet, name, kwargs)
    theirs, their_sched = _rates(torch, name, kwargs)
    assert ours == theirs
    assert len({tuple(r) for r in ours}) > 2, "the schedule should change the rate"
    assert our_sched.state_dict() == their_sched.state_dict()


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}{k}" for n, k in SCHEDULES])
def test_closed_form_step_epoch_equals_torchs(name, kwargs):
    results = []
    for lib in (glassnet, torch):
        opt = _optimizer(lib)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        with pytest.warns(UserWarning, match="epoch parameter"):
            for epoch in (5, 12, 3, 25):
                opt.step()
                sched.step(epoch)
                results.append((lib.__name__, epoch, sched.get_last_lr()))
    ours, theirs = results[:4], results[4:]
    assert [r[1:] for r in ours] == [r[1:] for r in theirs]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}{k}" for n, k in SCHEDULES])
def test_state_dict_round_trip_resumes_the_schedule(name, kwargs):
    straight, _ = _rates(glassnet, name, kwargs, epochs=20)

    opt = _optimizer(glassnet)
    sched = getattr(glassnet.optim.lr_scheduler, name)(opt, **kwargs)
    for _ in range(10):
        opt.step()
        sched.step()
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())

    opt2 = _optimizer(glassnet, lrs=(9.0, 9.0))
    sched2 = getattr(glassnet.optim.lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(saved_opt)  # after building the scheduler, as torch advises
    sched2.load_state_dict(saved_sched)
    resumed = []
    for _ in range(10):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == straight[11:]


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        glassnet.optim.lr_scheduler.StepLR(_optimizer(glassnet), step_size=2, last_epoch=4)


def test_cosine_resumed_from_last_epoch_matches_torch():
    results = []
    for lib in (glassnet, torch):
        opt = _optimizer(lib)
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001, last_epoch=4)
        rates = [sched.get_last_lr()]
        for _ in range(8):
            opt.step()
            sched.step()
            rates.append(sched.get_last_lr())
        results.append(rates)
    assert results[0] == results[1]


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        glassnet.optim.lr_scheduler.StepLR([], step_size=1)
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        glassnet.optim.lr_scheduler.ReduceLROnPlateau([])


def test_stepping_the_scheduler_before_the_optimizer_warns():
    sched = glassnet.optim.lr_scheduler.StepLR(_optimizer(glassnet), step_size=2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _optimizer(glassnet)
    sched = glassnet.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.05, 0.015]


# -- ReduceLROnPlateau -------------------------------------------------------------------------
LOSSES = [1.0, 0.9, 0.95, 0.91, 0.92, 0.899, 0.93, 0.94, 0.95, 0.5, 0.6, 0.6, 0.6, 0.6, 0.49,
          0.4999, 0.51, 0.52, 0.53, 0.54, 0.3, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.38]

PLATEAUS = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02},
    {"patience": 1, "factor": 0.5, "min_lr": [0.05, 0.001]},
    {"patience": 2, "threshold": 0.05},
    {"patience": 2, "threshold": 0.05, "threshold_mode": "abs"},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 1},
    {"patience": 0, "factor": 0.9, "eps": 0.01},
]


def _plateau_rates(lib, kwargs):
    opt = _optimizer(lib)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    rates = []
    for loss in LOSSES:
        opt.step()
        sched.step(lib.tensor(loss) if loss > 0.5 else loss)  # a 0-d tensor or a float
        rates.append(sched.get_last_lr())
    return rates, sched


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=[str(k) for k in PLATEAUS])
def test_reduce_on_plateau_follows_torch_on_a_scripted_loss(kwargs):
    ours, our_sched = _plateau_rates(glassnet, kwargs)
    theirs, their_sched = _plateau_rates(torch, kwargs)
    assert ours == theirs
    assert our_sched.state_dict() == their_sched.state_dict()


def test_reduce_on_plateau_reduces_at_all():
    rates, _ = _plateau_rates(glassnet, {"patience": 2})
    assert rates[0] == [0.1, 0.03] and rates[-1][0] < 0.1


def test_reduce_on_plateau_state_dict_round_trip():
    straight, _ = _plateau_rates(glassnet, {"patience": 1, "cooldown": 1})
    opt = _optimizer(glassnet)
    sched = glassnet.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for loss in LOSSES[:12]:
        sched.step(loss)
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2 = _optimizer(glassnet)
    sched2 = glassnet.optim.lr_scheduler.ReduceLROnPlateau(opt2, mode="max")
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    resumed = []
    for loss in LOSSES[12:]:
        sched2.step(loss)
        resumed.append(sched2.get_last_lr())
    assert resumed == straight[12:]


@pytest.mark.parametrize("kwargs,message", [({"factor": 1.0}, "Factor should be < 1.0."),
                                            ({"mode": "middle"}, "mode middle is unknown!"),
                                            ({"threshold_mode": "pct"}, "threshold mode pct is unknown!"),
                                            ({"min_lr": [0.1]}, "expected 2 min_lrs, got 1")])
def test_reduce_on_plateau_validates_like_torch(kwargs, message):
    for lib in (glassnet, torch):
        with pytest.raises(ValueError) as info:
            lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), **kwargs)
        assert str(info.value) == message
