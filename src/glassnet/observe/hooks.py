"""The one torch observation mechanism that doctor and explain share: hooks for a ``with`` block.

``TorchHooks`` installs, on ``__enter__``, whichever of these it is given callbacks for:

* torch's global module forward pre/post hooks (``register_module_forward_pre_hook`` /
  ``register_module_forward_hook``): ``forward_pre(module, args)``,
  ``forward_post(module, args, output)``;
* the optimizer step pre/post hooks, global (``register_optimizer_step_*_hook``) or, given
  ``optimizer=``, that optimizer's own (``register_step_*_hook``):
  ``step_pre(optimizer, args, kwargs)``, ``step_post(optimizer, args, kwargs)``;
* a ``TorchFunctionMode`` that hands each torch call to ``function(func, args, kwargs)``, which
  must call ``func(*args, **kwargs)`` itself and return the result; with ``only={func: ...}``
  the other calls pass straight through.  ``set_function_mode(False/True)`` switches the mode
  off and on inside the block (it costs a Python call per torch call);
* ``backward(tensor)``: called before each outermost ``Tensor.backward()`` (a wrapper put in its
  place for the block), and ``backward_done(tensor)`` after it returned;
* ``clip(name, result)``: called after each ``torch.nn.utils.clip_grad_norm_`` /
  ``clip_grad_value_`` (wrappers; the clip itself runs with torch functions unwatched).

On ``__exit__`` — or when ``__enter__`` itself fails half-way — the mode is left and everything
is removed, last installed first, even when the block or one of the removals raises.  torch is
imported only when the block starts; ``module_paths``, ``root_name`` and ``parameter_names``
name modules and parameters for every observer (torch's and glassnet's).
"""
from __future__ import annotations

import sys

_MODE_CLASS = {}


def module_paths(root, root_name: str = "", prefixed: bool = False) -> dict:
    """``{id(module): path}`` for ``root`` and every module in it (``named_modules()`` paths);
    the root itself is called ``root_name``, and with ``prefixed`` the paths start with it
    (``GPT#2.blocks.0``)."""
    return {id(sub): (f"{root_name}.{path}" if prefixed and path else path) or root_name
            for path, sub in root.named_modules()}


def name_root(module, roots: list, names: dict, source: str | None = None) -> None:
    """Name a module first called at the top level and every module in it into ``names``
    (``{id(module): path}``) and append it to ``roots``: the first root with submodules keeps
    bare paths (``blocks.0``), a later one's start with its name (``student.blocks.0``, or
    ``GPT#2.blocks.0``), so two models of one script never share a path.  The name is the
    script's own for it (a global variable of ``source``: ``netD``, ``netG``), else its class's."""
    earlier = any(next(iter(r.children()), None) is not None for r in roots)
    roots.append(module)
    own = script_name(module, source)
    taken = {names.get(id(r)) for r in roots if r is not module}
    name = own if own is not None and own not in taken else root_name(module, roots, names)
    for key, path in module_paths(module, name, earlier).items():
        names.setdefault(key, path)


def script_name(module, source: str | None) -> str | None:
    """The name of the global variable of the script ``source`` that holds ``module`` (searched
    in the frames of that file on the stack), or None.  Locals are not used: a ``train(model)``
    helper would call every model ``model``."""
    if source is None:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == source:
            for name, value in frame.f_globals.items():
                if value is module and not name.startswith("_"):
                    return name
            return None
        frame = frame.f_back
    return None


def root_name(module, roots, names=None) -> str:
    """The name of a module first called at the top level: its class, with ``#2``, ``#3`` … when
    earlier ``roots`` are of the same class (two GPTs in one script: ``GPT`` and ``GPT#2``), and
    never a name an earlier root already has (``names``): a torch lazy layer is still a
    ``LazyConv2d`` when first called, and the one before it has become a ``Conv2d`` since.  A
    lazy layer is named after the layer it becomes (``Conv2d``), as glassnet's is."""
    def class_name(m):
        return (getattr(type(m), "cls_to_become", None) or type(m)).__name__
    cls = class_name(module)
    same = sum(class_name(r) == cls for r in roots if r is not module)
    taken = {names.get(id(r)) for r in roots if r is not module} if names else set()
    name = cls if not same else f"{cls}#{same + 1}"
    while name in taken:
        same += 1
        name = f"{cls}#{same + 1}"
    return name


def parameter_names(roots, names: dict, held=None) -> dict:
    """``{id(parameter): (name, parameter)}`` over the ``roots`` that hold parameters: the
    ``named_parameters()`` name, prefixed with the root's name (``names[id(root)]``) when more
    than one root holds parameters; a parameter shared by two roots keeps its first name.

    With ``held`` (the ids of the parameters an optimizer holds), a root replaced by a later one
    of its class (or of a subclass) is left out: none of its parameters is held and the later one's are (a fresh
    model per fold or per restart is the model now, not a second one)."""
    holders = [r for r in roots if next(iter(r.parameters()), None) is not None]
    if held is not None:
        def in_use(root):
            return any(id(p) in held for p in root.parameters())
        holders = [r for i, r in enumerate(holders)
                   if in_use(r) or not any(isinstance(s, type(r)) and in_use(s) for s in holders[i + 1:])]
    owned = {}
    for root in holders:
        prefix = "" if len(holders) == 1 else names.get(id(root), type(root).__name__) + "."
        for name, p in root.named_parameters():
            owned.setdefault(id(p), (prefix + name, p))
    return owned


def optimizer_params(optimizer) -> list:
    """The parameters ``optimizer`` holds, over its groups in order ([] for None)."""
    return [p for g in optimizer.param_groups for p in g["params"]] if optimizer is not None else []


def named_entries(roots, names: dict, optimizer, optimizers) -> list:
    """``[(name, parameter, held)]``: the parameters of the ``roots`` named (``parameter_names``,
    judged against ``optimizer``'s), then those of ``optimizer`` that no root holds as
    ``param0``, ``param1``, …; ``held``: an optimizer of ``optimizers`` holds it."""
    params = optimizer_params(optimizer)
    owned = parameter_names(roots, names, {id(p) for p in params} if params else None)
    unnamed = 0
    for p in params:
        if id(p) not in owned:
            owned[id(p)] = (f"param{unnamed}", p)
            unnamed += 1
    ids = {id(p) for opt in optimizers for p in optimizer_params(opt)}
    return [(name, p, id(p) in ids) for name, p in owned.values()]


def stale_in(suspects: dict, optimizer) -> list:
    """The names of the ``suspects`` (``{id(parameter): (name, parameter)}``: gradients a backward
    added to after a step(), not reset since) that ``optimizer`` holds, taken out: its step()
    uses them, so they are stale.  Judged at the step, not at the backward: a GAN's generator
    backward through the discriminator, zeroed before the discriminator's own step, is not."""
    return [suspects.pop(id(p))[0] for p in optimizer_params(optimizer) if id(p) in suspects]


def _mode_class(torch):
    """A ``TorchFunctionMode`` dispatching the calls in ``only`` (all when None) to a callback."""
    if "cls" in _MODE_CLASS:
        return _MODE_CLASS["cls"]

    class _Dispatch(torch.overrides.TorchFunctionMode):
        def __init__(self, callback, only=None):
            super().__init__()
            self.callback, self.only = callback, only

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if self.only is not None and func not in self.only:
                return func(*args, **kwargs)
            return self.callback(func, args, kwargs)

    _MODE_CLASS["cls"] = _Dispatch
    return _Dispatch


def _outermost(original, before, after=None):
    """``original`` wrapped to call ``before(first positional argument)`` (and ``after`` it, None
    when it had none) on the outermost call only: a call made while one is running (re-entered
    through the function mode, or torch calling itself) goes straight through."""
    busy = []

    def wrapper(*args, **kwargs):
        if busy:
            return original(*args, **kwargs)
        first = args[0] if args else None
        before(first)
        busy.append(True)
        try:
            result = original(*args, **kwargs)
        finally:
            busy.pop()
        if after is not None:
            after(first)
        return result
    wrapper.__wrapped__ = original
    return wrapper


class TorchHooks:
    """``with TorchHooks(forward_pre=..., function=..., step_post=...):`` — see the module docstring."""

    def __init__(self, *, forward_pre=None, forward_post=None, function=None, only=None,
                 step_pre=None, step_post=None, optimizer=None, function_mode: bool = True,
                 backward=None, backward_done=None, clip=None, grad=None):
        self.forward_pre, self.forward_post = forward_pre, forward_post
        self.grad = grad
        self.function, self.only = function, only
        self.step_pre, self.step_post, self.optimizer = step_pre, step_post, optimizer
        self.backward, self.backward_done, self.clip = backward, backward_done, clip
        self._mode_wanted = function_mode and function is not None
        self._mode = None
        self._undo: list = []

    def __enter__(self):
        import torch
        self.torch = torch
        try:
            mm = torch.nn.modules.module
            if self.forward_pre is not None:
                self._undo.append(mm.register_module_forward_pre_hook(self.forward_pre).remove)
            if self.forward_post is not None:
                self._undo.append(mm.register_module_forward_hook(self.forward_post).remove)
            self._step_hooks()
            if self.clip is not None:
                self._patch_clipping()
            if self.backward is not None:
                self._patch_backward()
            if self.grad is not None:
                self._patch_grad()
            self.set_function_mode(self._mode_wanted)
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc) -> bool:
        self._remove()
        return False

    def _step_hooks(self):
        if self.optimizer is not None:
            pre, post = self.optimizer.register_step_pre_hook, self.optimizer.register_step_post_hook
        else:
            import torch.optim.optimizer as hooks
            pre, post = hooks.register_optimizer_step_pre_hook, hooks.register_optimizer_step_post_hook
        if self.step_pre is not None:
            self._undo.append(pre(self.step_pre).remove)
        if self.step_post is not None:
            self._undo.append(post(self.step_post).remove)

    def _patch_backward(self):
        Tensor = self.torch.Tensor
        self._patch(Tensor, "backward", _outermost(Tensor.__dict__["backward"], self.backward, self.backward_done))

    def _patch_grad(self):
        """``torch.autograd.grad`` tells ``grad(outputs)`` of each call (it writes no ``.grad``: not
        a training backward, but a loop may apply its gradients by hand)."""
        autograd = self.torch.autograd
        self._patch(autograd, "grad", _outermost(autograd.grad, self.grad))

    def _patch_clipping(self):
        utils, clip = self.torch.nn.utils, self.torch.nn.utils.clip_grad
        for name in ("clip_grad_norm_", "clip_grad_value_"):
            original = getattr(clip, name)
            wrapper = self._clip_wrapper(name, original)
            for owner in (utils, clip):
                if getattr(owner, name, None) is original:
                    self._patch(owner, name, wrapper)

    def _clip_wrapper(self, name, original):
        torch, seen = self.torch, self.clip

        def clip(*args, **kwargs):
            with torch._C.DisableTorchFunction():
                result = original(*args, **kwargs)
            seen(name, result)
            return result
        clip.__wrapped__ = original
        return clip

    def set_function_mode(self, on: bool) -> None:
        """Enter (``True``) or leave (``False``) the function mode; nothing if it already is so."""
        if on and self._mode is None and self.function is not None:
            mode = _mode_class(self.torch)(self.function, self.only)
            mode.__enter__()
            self._mode = mode
        elif not on and self._mode is not None:
            mode, self._mode = self._mode, None
            mode.__exit__(None, None, None)

    def _patch(self, owner, name: str, value) -> None:
        original = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))

    def _remove(self) -> None:
        undo, self._undo = self._undo, []
        try:
            self.set_function_mode(False)
        finally:
            _run_all(reversed(undo))


def _run_all(actions) -> None:
    """Call every action even when one raises; the first error is raised at the end."""
    error = None
    for action in actions:
        try:
            action()
        except BaseException as e:  # noqa: BLE001 - the rest must still be removed
            error = error or e
    if error is not None:
        raise error
