"""The recorder: what it captures, and that it costs nothing outside ``record``."""
import numpy as np
import pytest

import glassnet
from glassnet import nn, optim
from glassnet.autograd.engine import STATE
from glassnet.explain import record
from glassnet.nn import functional as F


def _model():
    glassnet.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))


def _hook_count(model):
    from glassnet.nn.hooks import _global_forward_hooks, _global_forward_pre_hooks
    return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules()) \
        + len(_global_forward_pre_hooks) + len(_global_forward_hooks)


def test_nothing_is_installed_after_the_block():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before_hooks = _hook_count(model)
    with record(model, opt) as step:
        assert STATE.observers, "the observer is installed inside the block"
        assert _hook_count(model) == before_hooks + 2, "one global pre/post hook pair"
        loss = model(glassnet.ones(3)).sum()
        loss.backward()
        opt.step()
    assert STATE.observers == ()
    assert _hook_count(model) == before_hooks
    assert "step" not in vars(opt), "optimizer.step is the class's method again"
    n_ops = len(step.ops)
    model(glassnet.ones(3)).sum().backward()          # outside: nothing more is recorded
    assert len(step.ops) == n_ops


def test_cleanup_happens_when_the_block_raises():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError):
        with record(model, opt):
            model(glassnet.ones(3))
            raise ValueError("boom")
    assert STATE.observers == () and _hook_count(model) == 0 and "step" not in vars(opt)


def test_ops_carry_module_paths_inputs_and_shapes():
    model = _model()
    x = glassnet.tensor([1.0, -2.0, 0.5])
    with record(model) as step:
        F.mse_loss(model(x), glassnet.tensor([0.3])).backward()
    ops = step.forward_ops
    assert [op.op for op in ops[:3]] == ["Linear", "Relu", "Linear"]
    assert [op.module for op in ops[:3]] == ["0", "1", "2"]
    assert ops[0].inputs[1].kind == "param" and ops[0].inputs[1].key == "0.weight"
    assert ops[0].shape == (2,) and step.leaves[0].role == "input"
    np.testing.assert_array_equal(ops[0].input_values[0], x.array)
    assert all(op.grad_out is not None for op in ops)     # backward visited every node
    assert step.ops[step.loss_index].name == "L"


def test_raw_tensors_without_a_model():
    w = glassnet.tensor([2.0, -1.0], requires_grad=True)
    x = glassnet.tensor([3.0, 4.0])
    with record(names={"w": w, "x": x}) as step:
        loss = (w * x).sum()
        loss.backward()
    assert [op.op for op in step.ops] == ["Mul", "Sum"]
    assert step.params[0].name == "w"
    np.testing.assert_array_equal(step.params[0].grad, [3.0, 4.0])
    d = step.derivation("w[1]")
    assert d.headline == "∂L/∂w[1] = x₁ = 4" and d.agrees


def test_values_are_snapshots_not_views():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=1.0)
    with record(model, opt) as step:
        model(glassnet.ones(3)).sum().backward()
        opt.step()
    p = step.param("0.weight")
    np.testing.assert_allclose(p.after - p.before, -p.grad, rtol=1e-6)
    np.testing.assert_array_equal(step.forward_ops[0].input_values[1], p.before)


def test_adam_terms_are_recorded():
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    with record(model, opt) as step:
        F.mse_loss(model(glassnet.ones(3)), glassnet.tensor([1.0])).backward()
        opt.step()
    p = step.param("2.bias")
    assert {"m", "v", "m̂", "v̂", "lr·m̂/(√v̂+ε)"} <= set(p.terms)
    np.testing.assert_allclose(p.delta, -p.terms["lr·m̂/(√v̂+ε)"], rtol=1e-4)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="model must be a glassnet.nn.Module"):
        record(object())
    with pytest.raises(TypeError, match="optimizer must be"):
        record(None, object())


def test_loss_after_is_computed_later_on_a_copy_and_training_on_does_not_change_it():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.5)
    x, t = glassnet.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]), glassnet.tensor([[0.3], [-0.2]])
    with record(model, opt) as step:
        F.mse_loss(model(x), t).backward()
        opt.step()
    with glassnet.no_grad():
        expected = F.mse_loss(model(x), t).item()
    for _ in range(3):                                  # keep training before looking
        opt.zero_grad()
        F.mse_loss(model(x), t).backward()
        opt.step()
    state = {k: v.array.copy() for k, v in model.state_dict().items()}
    assert float(step.effect.loss_after) == pytest.approx(expected, rel=1e-6)
    assert all(np.array_equal(v.array, state[k]) for k, v in model.state_dict().items())


def test_a_parameter_changed_in_place_inside_the_block_is_seen_by_the_forward():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    at_entry = model[0].weight.array.copy()
    with record(model, opt) as step:                    # the copy taken at entry is not reused
        with glassnet.no_grad():
            model[0].weight.mul_(2.0)
        model(glassnet.ones(3)).sum().backward()
        opt.step()
    p = step.param("0.weight")
    np.testing.assert_array_equal(step.forward_ops[0].input_values[1], 2 * at_entry)
    np.testing.assert_array_equal(p.before, 2 * at_entry)     # the value the step started from


def test_the_recorded_gradient_is_what_the_step_used_even_when_gradients_accumulate():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.tensor([[1.0, -2.0, 0.5]])
    with record(model, opt) as step:
        model(x).sum().backward()
        model(x).sum().backward()                    # no zero_grad: .grad is the sum of both
        grad = model[0].weight.grad.array.copy()
        opt.step()
    once = step.forward_ops[0].grad_inputs[1]       # what the first backward sent
    np.testing.assert_allclose(step.param("0.weight").grad, grad)
    np.testing.assert_allclose(step.param("0.weight").grad, 2 * once, rtol=1e-6)


def test_module_and_parameter_names_match_named_modules_and_named_parameters():
    from glassnet.explain.recorder import _walk
    shared = nn.Linear(3, 3)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), shared, nn.Sequential(shared, nn.Linear(3, 1)))
    model.extra = nn.Parameter(glassnet.ones(2))
    model[0].bias = None                                # a None parameter is skipped
    model.deep = nn.Sequential(nn.Sequential(nn.Linear(1, 1)), nn.Tanh())
    modules, params, plain = _walk(model)
    assert plain
    assert [(n, id(m)) for n, m in modules] == [(n, id(m)) for n, m in model.named_modules()]
    assert [(n, id(p)) for n, p in params] == [(n, id(p)) for n, p in model.named_parameters()]
    assert len(modules) == 10 and "2.weight" in dict(params) and "3.0.weight" not in dict(params)

    class Custom(nn.Module):                            # overrides: asked directly
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(1, 1)

        def named_parameters(self, *args, **kwargs):
            return iter([("renamed", self.a.weight)])
    assert [n for n, _ in _walk(Custom())[1]] == ["renamed"] and not _walk(Custom())[2]
    with record(model) as step:
        model(glassnet.ones(1, 2)).sum().backward()
    assert [p.name for p in step.params] == [n for n, _ in model.named_parameters()]


def test_the_names_follow_the_model_when_it_changes_between_recordings():
    import gc
    import weakref
    model = _model()

    def names():
        with record(model) as step:
            model(glassnet.ones(3)).sum().backward()
        return [p.name for p in step.params]
    assert names() == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert names() == ["0.weight", "0.bias", "2.weight", "2.bias"]        # (the kept walk)
    model.append(nn.Linear(1, 1))                                          # a new layer
    assert names()[-2:] == ["3.weight", "3.bias"]
    model[3].bias = None                                                   # a parameter dropped
    assert names()[-1] == "3.weight"
    model[0].weight = nn.Parameter(glassnet.zeros(2, 3))                   # one replaced
    with record(model) as step:
        model(glassnet.ones(3)).sum().backward()
    assert step.params[0].name == "0.weight" and np.all(step.params[0].before == 0)
    del model[3]
    assert names() == ["0.weight", "0.bias", "2.weight", "2.bias"]
    alive = weakref.ref(model)
    del model, step
    gc.collect()
    assert alive() is None, "the kept walk does not keep the model alive"


def test_the_names_follow_a_layer_swapped_in_the_registry_directly():
    model, new = _model(), nn.Linear(2, 1)              # (made first: making one changes things)
    with record(model) as step:
        model(glassnet.ones(3)).sum().backward()
    assert step.params
    old = model[2]
    model._modules["2"] = new                              # torch's idiom, no setattr
    with record(model) as step:
        model(glassnet.ones(3)).sum().backward()
    assert [p.name for p in step.params] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [leaf.role for leaf in step.leaves] == ["input"], "the new layer's weights are parameters"
    np.testing.assert_array_equal(step.param("2.weight").before, model[2].weight.array)
    assert not np.array_equal(old.weight.array, model[2].weight.array)


def test_the_kept_walk_survives_copies_and_follows_a_registry_replaced_whole():
    import copy

    from glassnet.nn.registry import STRUCTURE
    model, new = _model(), nn.Linear(2, 1)
    version = STRUCTURE[0]
    copy.deepcopy(model)                                   # a copy is a new tree: no change
    assert STRUCTURE[0] == version
    model._modules = {**model._modules, "2": new}          # a plain dict, put in whole
    with record(model) as step:
        model(glassnet.ones(3)).sum().backward()
    np.testing.assert_array_equal(step.param("2.weight").before, new.weight.array)
    assert [leaf.role for leaf in step.leaves] == ["input"]
