"""``glassnet.observe``: watch an unmodified PyTorch program through torch's own hooks.

The torch observation that ``glassnet.explain`` and ``glassnet.doctor`` both stand on; it knows
nothing of either (they import it, never the other way).  Nothing here imports torch at import
time: an observation imports it when it starts.

* ``hooks`` — ``TorchHooks``: torch's global module forward pre/post hooks, the optimizer step
  hooks, a ``TorchFunctionMode``, wrappers of ``Tensor.backward`` and the gradient clipping,
  installed for a ``with`` block and always removed; ``module_paths``.
* ``observer`` — ``observe()``/``TorchObserver``: a whole training run, step by step, as
  statistics (what ``glassnet doctor`` checks), into the plain records of ``records``
  (``Step``, ``Call``, ``ParamStat``, ``Clip``), which glassnet's own engine fills too.
* ``sequence`` — the sequence checks' measures on NumPy arrays and shapes (attention weights
  and logits, the last-step index, axis-mixing views, key-padding masks), shared with glassnet's
  own observer.
* ``step_capture`` — ``TorchStepCapture``: one training step with every function call, value
  and gradient (what ``glassnet.explain.record`` replays into a ``Recording``).

>>> from glassnet.observe import observe                  # doctest: +SKIP
>>> with observe() as seen:                               # doctest: +SKIP
...     train()            # any unmodified torch training code
>>> seen.steps[0].loss, seen.steps[0].params["0.weight"].grad_norm   # doctest: +SKIP
"""
from __future__ import annotations

from .hooks import TorchHooks, module_paths
from .observer import TorchObserver, observe
from .records import Call, Clip, ParamStat, Step, StepLimitReached
from .step_capture import TorchStepCapture

__all__ = ["Call", "Clip", "ParamStat", "Step", "StepLimitReached", "TorchHooks", "TorchObserver",
           "TorchStepCapture", "module_paths", "observe"]
