"""glassnet.observe.hooks: the one torch hook layer doctor and explain share; always removed."""
import pytest

torch = pytest.importorskip("torch")

import torch.optim.optimizer as optimizer_hooks  # noqa: E402
from torch.overrides import _get_current_function_mode_stack  # noqa: E402

from glassnet.observe.hooks import TorchHooks, module_paths  # noqa: E402


def _installed():
    mm = torch.nn.modules.module
    return (len(mm._global_forward_pre_hooks), len(mm._global_forward_hooks),
            len(optimizer_hooks._global_optimizer_pre_hooks),
            len(optimizer_hooks._global_optimizer_post_hooks), len(_get_current_function_mode_stack()))


def _step(model, opt):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(torch.sigmoid(model(torch.ones(2, 3))), torch.zeros(2, 1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss


def _everything(seen, **kw):
    return TorchHooks(forward_pre=lambda m, a: seen.append(("pre", type(m).__name__)),
                      forward_post=lambda m, a, o: seen.append(("post", type(m).__name__)),
                      function=lambda f, a, k: seen.append(("fn", f.__name__)) or f(*a, **k),
                      step_pre=lambda o, a, k: seen.append(("step_pre",)),
                      step_post=lambda o, a, k: seen.append(("step_post",)),
                      backward=lambda t: seen.append(("backward", t.numel())),
                      clip=lambda name, r: seen.append(("clip", name)), **kw)


def test_every_callback_fires_and_everything_is_removed():
    model = torch.nn.Sequential(torch.nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before, backward, clip = _installed(), torch.Tensor.backward, torch.nn.utils.clip_grad_norm_
    seen = []
    with _everything(seen):
        _step(model, opt)
    kinds = {s[0] for s in seen}
    assert kinds == {"pre", "post", "fn", "step_pre", "step_post", "backward", "clip"}
    assert ("fn", "sigmoid") in seen and ("backward", 1) in seen
    assert _installed() == before
    assert torch.Tensor.backward is backward and torch.nn.utils.clip_grad_norm_ is clip
    seen.clear()
    _step(model, opt)
    assert seen == []


def test_removed_when_the_block_raises():
    before, backward = _installed(), torch.Tensor.backward
    with pytest.raises(KeyError):
        with _everything([]):
            torch.nn.Linear(2, 2)(torch.ones(1, 2))
            raise KeyError("x")
    assert _installed() == before and torch.Tensor.backward is backward


def test_removed_when_installing_fails_half_way():
    before = _installed()
    with pytest.raises(AttributeError):                 # not an optimizer: fails after module hooks
        with _everything([], optimizer=object()):
            pass
    assert _installed() == before


def test_one_optimizer_only_and_filtered_functions():
    model = torch.nn.Sequential(torch.nn.Linear(3, 1))
    opt, other = (torch.optim.SGD(model.parameters(), lr=0.1) for _ in range(2))
    seen = []
    with TorchHooks(function=lambda f, a, k: seen.append(f.__name__) or f(*a, **k),
                    only={torch.sigmoid: "sigmoid"}, optimizer=opt,
                    step_pre=lambda o, a, k: seen.append(o is opt)) as hooks:
        _step(model, opt)
        _step(model, other)
        hooks.set_function_mode(False)
        torch.sigmoid(torch.ones(1))
        hooks.set_function_mode(True)
        torch.sigmoid(torch.ones(1))
    assert seen == ["sigmoid", True, "sigmoid", "sigmoid"]
    assert not opt._optimizer_step_pre_hooks


def test_module_paths_names_every_module_from_its_root():
    inner = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    root = torch.nn.Sequential(inner, torch.nn.Linear(2, 1))
    paths = module_paths(root, "Net")
    assert paths[id(root)] == "Net" and paths[id(inner[1])] == "0.1" and paths[id(root[1])] == "1"
    assert module_paths(root)[id(root)] == ""
