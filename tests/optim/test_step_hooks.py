"""torch's global optimizer step hooks (``torch.optim.optimizer.register_optimizer_step_*_hook``):
what the doctor watches glassnet programs with, instead of wrapping ``step``."""
import importlib

import pytest

import glassnet
from glassnet import nn, optim
from glassnet.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


def _run(lib, make_opt, steps=2):
    model = lib.nn.Linear(2, 1)
    opt = make_opt(lib, model)
    calls = []
    hooks = importlib.import_module(f"{lib.__name__}.optim.optimizer")
    pre = hooks.register_optimizer_step_pre_hook(
        lambda o, args, kwargs: calls.append(("pre", type(o).__name__, len(args), sorted(kwargs))))
    post = hooks.register_optimizer_step_post_hook(
        lambda o, args, kwargs: calls.append(("post", type(o).__name__, len(args), sorted(kwargs))))
    try:
        for _ in range(steps):
            opt.zero_grad()
            model(lib.ones(3, 2)).sum().backward()
            opt.step()
    finally:
        pre.remove()
        post.remove()
    opt.step()  # removed: not seen
    return calls


@pytest.mark.parametrize("make_opt", [lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.1),
                                      lambda lib, m: lib.optim.Adam(m.parameters())],
                         ids=["SGD", "Adam"])
def test_the_hooks_run_around_every_step_as_torchs_do(make_opt):
    torch = pytest.importorskip("torch")
    assert _run(glassnet, make_opt) == _run(torch, make_opt)


def test_a_subclass_step_that_calls_super_runs_the_hooks_once():
    class Clipped(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    model = nn.Linear(2, 1)
    opt = Clipped(model.parameters(), lr=0.1)
    seen = []
    with register_optimizer_step_pre_hook(lambda o, a, k: seen.append("pre")), \
            register_optimizer_step_post_hook(lambda o, a, k: seen.append("post")):
        model(glassnet.ones(1, 2)).sum().backward()
        opt.step()
    assert seen == ["pre", "post"]


def test_a_pre_hook_can_replace_the_arguments():
    """(As torch's: the hook returns ``(args, kwargs)``, ``args`` starting with the optimizer.)"""
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def closure():
        calls.append("closure")
        return glassnet.tensor(1.0)

    with register_optimizer_step_pre_hook(lambda o, args, kwargs: ((o, closure), {})):
        assert opt.step().item() == 1.0
    assert calls == ["closure"]
