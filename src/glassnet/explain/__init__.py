"""``glassnet.explain``: record one training step and show every number in it.

>>> from glassnet.explain import record                      # doctest: +SKIP
>>> with record(model, optimizer) as step:                   # doctest: +SKIP
...     loss = F.mse_loss(model(x), t); optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> print(step.to_text(entries=["layer1.weight[2, 0]"]))     # doctest: +SKIP

The recorder subscribes to the engine's single observer hook and to module forward hooks, only
inside the ``with`` block; the views, insights and renderers work on the recorded data.

* ``record(model, optimizer)`` — the context manager; yields a :class:`Recording`.
* ``Recording``: ``forward_table()``, ``ops_table()``, ``backward_table()``, ``gradient_table()``,
  ``derivation(entry)``, ``update_table()``, ``update_summary()``, ``effect``, ``insights()``,
  ``attention(layer, batch)`` (per head: weights with masked entries, entropy, the largest
  gradients into q, k, v; ``derivation("blocks.0.sa.heads.2[b, i, j]")`` derives one weight and
  its softmax gradient, ``attention_exact(entry)`` redoes them in exact arithmetic),
  ``to_text()``, ``to_markdown()``, ``to_latex()``, ``to_html()`` (and ``_repr_html_``),
  ``to_json()``/``to_dict()`` (schema ``glassnet.explain/2``, or ``/1`` which small recordings
  write by default for its existing readers; ``version=`` chooses),
  ``to_dot()``, ``to_svg()``.
* Size: small recordings (≤ ``summary.FULL_DETAIL_LIMIT`` = 1000 parameter entries and tensor
  entries) render every table; larger ones render a summary first (per layer, per parameter,
  per op, the largest entries).  ``detail="full"`` forces every table.  Detail on demand costs
  what it shows: ``step.table(name, rows=..., full=True)``, ``step.derivation(entry)``,
  ``step.path(entry)``.
* ``trace(model, optimizer, every=k)`` — a whole run: per-step, per-layer summaries (loss,
  gradient and update norms, update-to-weight ratios, dead and saturated units), drawn with
  ``glassnet.viz.trace_figure`` (``run.figure()``, ``run.save(folder)``).
* ``compare_with_torch(model, x, target, ...)`` — the same step in PyTorch, differences per value.
* ``fmt(value)`` — one number as every renderer prints it (exact fractions as decimals, floats
  rounded to four decimals, one minus sign).
"""
from ._numbers import fmt
from .compare import Comparison, compare_with_torch, torch_module_outputs
from .recorder import record
from .trace import trace
from .recording import Recording
from .render import FORMATS, render
from .render.json import SCHEMA_ID, schema, validate

__all__ = ["Comparison", "FORMATS", "Recording", "SCHEMA_ID", "compare_with_torch", "fmt", "record",
           "render", "schema", "torch_module_outputs", "trace", "validate"]
