"""The Optimizer API shared by every optimizer: validation, param groups, zero_grad, skipping
parameters without a gradient, closures, and state_dict in torch's layout."""
import copy
import warnings

import numpy as np
import pytest

import glassnet

from .helpers import initial_arrays, leaf_params, run, to_numpy, train

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta", "ASGD"]
# Options that make every piece of state appear (momentum buffers, amsgrad, centered, ...).
FULL_OPTIONS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.01, "amsgrad": True},
                "AdamW": {"lr": 0.01}, "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
                "Adagrad": {"lr": 0.1, "lr_decay": 0.01}, "NAdam": {"lr": 0.01, "weight_decay": 0.01},
                "RAdam": {"lr": 0.01, "weight_decay": 0.01}, "Adamax": {"lr": 0.01},
                "Adadelta": {"lr": 0.5, "weight_decay": 0.01}, "ASGD": {"lr": 0.05, "t0": 1}}


def _raised(make):
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


# -- argument validation: glassnet raises torch's exception type with torch's message --------
BAD_ARGUMENTS = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"momentum": -0.5}),
    ("SGD", {"weight_decay": -1}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": -1e-3}),
    ("Adam", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -0.1}),
    ("AdamW", {"betas": (0.9, 1.0)}),
    ("AdamW", {"lr": -2.0}),
    ("RMSprop", {"alpha": -0.1}),
    ("RMSprop", {"eps": -1.0}),
    ("RMSprop", {"momentum": -0.9}),
    ("RMSprop", {"weight_decay": -0.01}),
    ("Adagrad", {"lr_decay": -1}),
    ("Adagrad", {"initial_accumulator_value": -0.5}),
    ("Adagrad", {"eps": -1e-10}),
    ("Adagrad", {"weight_decay": -0.5}),
    ("NAdam", {"lr": -1.0}),
    ("NAdam", {"eps": -1e-8}),
    ("NAdam", {"betas": (1.0, 0.999)}),
    ("NAdam", {"betas": (0.9, 1.5)}),
    ("NAdam", {"weight_decay": -0.1}),
    ("NAdam", {"momentum_decay": -4e-3}),
    ("RAdam", {"lr": -1.0}),
    ("RAdam", {"eps": -1e-8}),
    ("RAdam", {"betas": (-0.1, 0.999)}),
    ("RAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -1.0}),
    ("Adamax", {"eps": -1e-8}),
    ("Adamax", {"betas": (1.0, 0.999)}),
    ("Adamax", {"betas": (0.9, 1.0)}),
    ("Adamax", {"weight_decay": -0.1}),
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"eps": -1e-6}),
    ("Adadelta", {"weight_decay": -0.1}),
    ("ASGD", {"lr": -1.0}),
    ("ASGD", {"weight_decay": -0.1}),
]


@pytest.mark.parametrize("name,kwargs", BAD_ARGUMENTS, ids=[f"{n}{k}" for n, k in BAD_ARGUMENTS])
def test_invalid_arguments_raise_torchs_error(name, kwargs):
    ours = _raised(lambda: getattr(glassnet.optim, name)([glassnet.zeros(2, requires_grad=True)], **kwargs))
    theirs = _raised(lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs))
    assert ours == theirs


def test_invalid_learning_rate_message():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0\.1$"):
        glassnet.optim.SGD([glassnet.zeros(2, requires_grad=True)], lr=-0.1)
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 0: 1\.0$"):
        glassnet.optim.Adam([glassnet.zeros(2, requires_grad=True)], betas=(1.0, 0.999))


@pytest.mark.parametrize("name", NAMES)
def test_nan_learning_rate_is_rejected_everywhere(name):
    """torch's SGD checks `lr < 0`, which lets NaN through; glassnet rejects it in every optimizer."""
    with pytest.raises(ValueError, match="^Invalid learning rate: nan$"):
        getattr(glassnet.optim, name)([glassnet.zeros(2, requires_grad=True)], lr=float("nan"))


@pytest.mark.parametrize("name", NAMES)
def test_params_must_be_a_nonempty_iterable_of_tensors(name):
    cls = getattr(glassnet.optim, name)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        cls(glassnet.zeros(2, requires_grad=True))
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        cls([])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        cls([np.zeros(2)])


def test_non_leaf_and_duplicate_groups_are_rejected():
    w = glassnet.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        glassnet.optim.SGD([w * 2])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        glassnet.optim.SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(TypeError, match="ordered collections"):
        glassnet.optim.SGD([{"params": {w}}])


def test_unsupported_differentiable_flag_says_so():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        glassnet.optim.Adam([glassnet.zeros(2, requires_grad=True)], differentiable=True)


# -- param groups ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_param_groups_hold_torchs_options_in_torchs_order(name):
    ours = getattr(glassnet.optim, name)([{"params": [glassnet.zeros(2, requires_grad=True)], "lr": 0.5},
                                          {"params": [glassnet.zeros(3, requires_grad=True)]}])
    theirs = getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.5},
                                         {"params": [torch.zeros(3, requires_grad=True)]}])
    for g_ours, g_theirs in zip(ours.param_groups, theirs.param_groups, strict=True):
        assert list(g_ours) == list(g_theirs)
        assert {k: v for k, v in g_ours.items() if k != "params"} == \
               {k: v for k, v in g_theirs.items() if k != "params"}
    assert ours.defaults == theirs.defaults
    assert ours.param_groups[0]["lr"] == 0.5 and ours.param_groups[1]["lr"] == ours.defaults["lr"]


@pytest.mark.parametrize("name", NAMES)
def test_add_param_group_then_train_matches_torch(name):
    results = []
    for lib in (glassnet, torch):
        a, b = (lib.tensor(arr, requires_grad=True) for arr in initial_arrays(shapes=[(3,), (2, 2)]))
        opt = getattr(lib.optim, name)([a], lr=0.1)
        opt.add_param_group({"params": b, "lr": 0.01})
        for _ in range(5):
            opt.zero_grad()
            ((a * a).sum() + (b ** 3).sum()).backward()
            opt.step()
        results.append((to_numpy(a), to_numpy(b), opt.param_groups[1]["lr"]))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_named_parameters_are_accepted_and_saved():
    w, b = glassnet.zeros(2, requires_grad=True), glassnet.zeros(1, requires_grad=True)
    opt = glassnet.optim.Adam([("layer.weight", w), ("layer.bias", b)])
    assert opt.param_groups[0]["params"] == [w, b]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight", "layer.bias"]


def test_repr_lists_each_group_options():
    text = repr(glassnet.optim.SGD([glassnet.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text


# -- step: parameters without a gradient, zero_grad, closure -----------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_parameters_whose_grad_is_none_are_skipped(name):
    """As in the dose network, where only `final_bias` requires grad: only it moves."""
    frozen = glassnet.tensor([1.0, 2.0])                     # requires_grad=False
    unused = glassnet.tensor([3.0, 4.0], requires_grad=True)  # requires grad, gets none
    final_bias = glassnet.tensor(0.5, requires_grad=True)
    opt = getattr(glassnet.optim, name)([frozen, unused, final_bias], **FULL_OPTIONS[name])
    for _ in range(3):
        opt.zero_grad()
        ((frozen * 2).sum() + final_bias * 3).backward()
        opt.step()
    assert frozen.grad is None and unused.grad is None
    assert frozen.tolist() == [1.0, 2.0] and unused.tolist() == [3.0, 4.0]
    assert final_bias.item() != 0.5
    # Only final_bias has state (Adagrad, as in torch, creates state for all params up front).
    expected_ids = {0, 1, 2} if name == "Adagrad" else {2}
    assert set(opt.state_dict()["state"]) == expected_ids
    if name == "Adagrad":
        assert opt.state[unused]["step"].item() == 0 and opt.state[final_bias]["step"].item() == 3


def test_zero_grad_set_to_none():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    opt = glassnet.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad()  # set_to_none=True by default
    assert w.grad is None


def test_zero_grad_set_to_zeros_keeps_the_tensor_and_momentum_still_moves():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    opt = glassnet.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    grad = w.grad
    opt.step()
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    before = w.tolist()
    opt.step()  # a zero gradient is a gradient: momentum carries the parameter on
    assert w.tolist() != before


def test_zero_grad_leaves_no_trace_when_grads_are_none():
    w = glassnet.tensor([1.0], requires_grad=True)
    opt = glassnet.optim.Adam([w])
    opt.zero_grad(set_to_none=False)
    assert w.grad is None


def test_step_with_closure_returns_the_loss_and_enables_grad():
    w = glassnet.tensor([1.0, -1.0], requires_grad=True)
    opt = glassnet.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with glassnet.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 2.0
    assert w.tolist() == [0.5, -0.5]


def test_step_runs_under_grad_mode_and_restores_it():
    w = glassnet.tensor([1.0], requires_grad=True)
    opt = glassnet.optim.Adam([w], lr=0.1)
    (w * 3).sum().backward()
    opt.step()  # would raise (in-place update of a leaf that requires grad) if not under no_grad
    assert glassnet.is_grad_enabled()
    assert w.requires_grad and w.grad_fn is None


def test_step_writes_in_place_and_bumps_the_version():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    array, version = w.array, w._version
    opt = glassnet.optim.SGD([w], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    assert w.array is array and w._version > version
    assert w.tolist() == [0.0, 0.0]


# -- state_dict ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_state_dict_has_torchs_structure(name):
    groups = [{"params": [0, 1], "lr": 0.05}, {"params": [2, 3]}]
    _, ours = train(glassnet, name, FULL_OPTIONS[name], groups, steps=3)
    _, theirs = train(torch, name, FULL_OPTIONS[name], groups, steps=3)
    sd_ours, sd_theirs = ours.state_dict(), theirs.state_dict()
    assert list(sd_ours) == list(sd_theirs) == ["state", "param_groups"]
    assert sd_ours["param_groups"] == sd_theirs["param_groups"]  # options and integer ids [0, 1], [2, 3]
    assert list(sd_ours["state"]) == list(sd_theirs["state"]) == [0, 1, 2, 3]
    for pid, state in sd_theirs["state"].items():
        assert list(sd_ours["state"][pid]) == list(state)
        for key, value in state.items():
            mine = sd_ours["state"][pid][key]
            assert isinstance(mine, glassnet.Tensor)
            assert tuple(mine.shape) == tuple(value.shape)
            assert str(mine.dtype) == str(value.dtype).replace("torch", "glassnet")
            np.testing.assert_allclose(to_numpy(mine), to_numpy(value), rtol=1e-5, atol=1e-6)


def test_plain_sgd_keeps_no_state_like_torch():
    _, ours = train(glassnet, "SGD", {"lr": 0.1}, steps=2)
    _, theirs = train(torch, "SGD", {"lr": 0.1}, steps=2)
    assert ours.state_dict() == {"state": {}, "param_groups": theirs.state_dict()["param_groups"]}


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_exactly(name):
    """20 steps straight == 10 steps, save, a new optimizer on copies of the weights, load, 10 steps."""
    kwargs = FULL_OPTIONS[name]
    straight, _ = train(glassnet, name, kwargs, steps=20)

    first, opt = train(glassnet, name, kwargs, steps=10)
    saved = copy.deepcopy(opt.state_dict())
    params = leaf_params(glassnet, [to_numpy(p) for p in first])
    resumed = getattr(glassnet.optim, name)(params, lr=123.0)  # options come back from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == kwargs["lr"]
    run(glassnet, params, resumed, steps=10)
    for a, b in zip(straight, params):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_state_dict_is_a_snapshot_and_loading_copies():
    _, opt = train(glassnet, "Adam", {"lr": 0.01}, steps=2)
    saved = opt.state_dict()
    exp_avg = to_numpy(saved["state"][0]["exp_avg"]).copy()
    run(glassnet, opt.param_groups[0]["params"], opt, steps=2)
    np.testing.assert_array_equal(to_numpy(saved["state"][0]["exp_avg"]), exp_avg)
    assert saved["state"][0]["step"].item() == 2 and opt.state_dict()["state"][0]["step"].item() == 4
    opt.load_state_dict(saved)
    assert opt.state[opt.param_groups[0]["params"][0]]["exp_avg"] is not saved["state"][0]["exp_avg"]


def test_load_state_dict_restores_options_and_casts_to_the_parameter_dtype():
    w = glassnet.tensor(np.zeros(2), requires_grad=True)  # float64
    opt = glassnet.optim.Adam([w], lr=0.5)
    saved = {"state": {0: {"step": glassnet.tensor(3.0), "exp_avg": glassnet.tensor([1.0, 2.0]),
                           "exp_avg_sq": glassnet.tensor([1.0, 4.0])}},
             "param_groups": [{**opt.state_dict()["param_groups"][0], "lr": 0.01}]}
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["params"][0] is w
    assert opt.state[w]["exp_avg"].dtype == glassnet.float64
    assert opt.state[w]["step"].dtype == glassnet.float32  # step keeps its dtype, as in torch


def test_a_plain_number_step_is_loaded_as_a_float32_tensor():
    w = glassnet.zeros(2, requires_grad=True)
    opt = glassnet.optim.Adam([w])
    saved = {"state": {0: {"step": 7, "exp_avg": np.zeros(2), "exp_avg_sq": np.zeros(2)}},
             "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(saved)
    assert opt.state[w]["step"].dtype == glassnet.float32 and opt.state[w]["step"].item() == 7.0
    assert opt.state[w]["exp_avg"].dtype == glassnet.float32  # cast to the parameter's dtype
    w.grad = glassnet.ones(2)
    opt.step()
    assert opt.state[w]["step"].item() == 8.0


def test_load_state_dict_rejects_mismatched_groups():
    a, b = glassnet.zeros(2, requires_grad=True), glassnet.zeros(2, requires_grad=True)
    saved = glassnet.optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        glassnet.optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        glassnet.optim.SGD([a]).load_state_dict(saved)


@pytest.mark.parametrize("name", NAMES)
def test_a_torch_state_dict_loads_and_training_continues_alike(name):
    kwargs = FULL_OPTIONS[name]
    torch_params, torch_opt = train(torch, name, kwargs, steps=10)
    ours = leaf_params(glassnet, [to_numpy(p) for p in torch_params])
    our_opt = getattr(glassnet.optim, name)(ours, **kwargs)
    our_opt.load_state_dict(torch_opt.state_dict())
    run(torch, torch_params, torch_opt, steps=10)
    run(glassnet, ours, our_opt, steps=10)
    for a, b in zip(ours, torch_params, strict=True):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=0, atol=1e-5)


def test_no_warnings_in_a_plain_training_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(glassnet, "Adam", {"lr": 0.01}, steps=3)
