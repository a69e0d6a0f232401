"""``torch.amp``: mixed precision, as glassnet can honestly offer it on the CPU.

glassnet computes in float32 (float16 and bfloat16 raise their one line), so ``autocast`` changes
no dtype: disabled (``enabled=False``) or for ``"cuda"`` (torch's CPU-only build disables it too,
with the same warning) it does nothing; for ``"cpu"`` it runs the block in float32 and says once
that torch would use bfloat16 there.  ``GradScaler`` follows torch's rule exactly (scale the loss,
unscale the gradients, skip a step with inf/NaN gradients, grow or back off the scale); for
``"cuda"`` it is disabled as in torch without CUDA: ``scale`` returns the loss, ``step`` calls
``optimizer.step()``, ``update`` does nothing.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

__all__ = ["autocast", "GradScaler", "is_autocast_available"]

_WARNED = []


def is_autocast_available(device_type: str) -> bool:
    return device_type == "cpu"


class autocast:  # noqa: N801 - torch's name
    """A context manager and decorator that changes nothing glassnet computes (see the module)."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True, cache_enabled=None):
        self.device_type, self.dtype = device_type, dtype
        self.enabled = bool(enabled)
        if self.enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            self.enabled = False
        if self.enabled and device_type == "cpu" and not _WARNED:
            _WARNED.append(True)
            warnings.warn("glassnet's autocast computes in float32 (torch's CPU autocast would run "
                          "matmuls and linear layers in bfloat16, which glassnet has not)",
                          UserWarning, stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return run


class GradScaler:
    """torch's dynamic loss scaling: ``scale(loss)`` multiplies by ``S``; ``step(opt)`` divides the
    gradients by ``S`` (``unscale_``) and steps unless one is inf/NaN; ``update()`` multiplies ``S``
    by ``backoff_factor`` after a skipped step, by ``growth_factor`` after ``growth_interval``
    clean ones."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        self._scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._unscaled: dict = {}  # id(optimizer) → found an inf/NaN

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def unscale_(self, optimizer) -> None:
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        found = False
        inv = 1.0 / self._scale
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    g = np.asarray(p.grad.array)
                    found = found or not bool(np.isfinite(g).all())
                    p.grad._inplace("unscale_", g * np.asarray(inv, dtype=g.dtype))
        self._unscaled[id(optimizer)] = found

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._unscaled[id(optimizer)]:
            return None  # inf/NaN gradients: the step is skipped
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._unscaled.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._unscaled = {}

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        self._scale = float(state_dict["scale"])
        self._growth_factor, self._backoff_factor = state_dict["growth_factor"], state_dict["backoff_factor"]
        self._growth_interval, self._growth_tracker = state_dict["growth_interval"], state_dict["_growth_tracker"]
