"""``Recording``: one recorded training step, with its views and renderers as methods.

The records themselves (ops, leaves, module calls, parameters, effect) are ``records.StepRecords``,
at the bottom of ``glassnet.explain``; the views, derivations, insights and renderers above it
are plain functions of a recording.  ``Recording`` sits above all of them and only calls down:
``step.forward_table()`` is ``views.forward_table(step)``, ``step.to_html()`` is
``render.html.render(render.document.build(step))`` and so on.  The producers (``recorder`` for
glassnet steps, ``torch_record`` for PyTorch ones) make ``Recording`` s.
"""
from __future__ import annotations

from . import attention as att
from . import detail as on_demand
from . import graph, summary, views
from .derivation import derive, parse_entry
from .insights import cached_insights
from .receptive import receptive_field
from .recurrent import lstm_step
from .records import StepRecords
from .render import html, latex, markdown, text
from .render import json_version as choose_json_version
from .render import to_dict as json_dict
from .render import to_json as json_text
from .render.document import build as build_document


class Recording(StepRecords):
    """A recorded training step (see ``glassnet.explain.record``): the records of ``StepRecords``
    (``ops``, ``leaves``, ``params``, ``effect``; see ``records.py``).

    The views, detail on demand and renderers below are methods (see the modules each names).
    """

    # -- views (see views.py, derivation.py, insights.py) ---------------------------------
    def derivation(self, entry: str):
        """The chain rule for one parameter entry, e.g. ``"layer1.weight[2, 0]"``, with numbers."""
        return derive(self, entry)

    def receptive_field(self, layer: str, *index):
        """Which input entries output entry ``index`` of ``layer`` reads, e.g.
        ``step.receptive_field("conv2", n, o, y, x)`` (see receptive.py)."""
        return receptive_field(self, layer, index[0] if len(index) == 1 and isinstance(index[0], tuple)
                               else index)

    def conv_summary(self) -> list:
        """Per convolution layer: dead channels and per-channel activation, gradient and update
        statistics (see summary.conv_summaries)."""
        return summary.conv_summaries(self)

    def conv_figures(self, layer=None, sample: int = 0) -> dict:
        """``{"kernels": Figure, "maps": Figure}``: a convolution layer's kernels (before the
        step) and the feature maps of ``sample``, each grid on one shared colour scale."""
        return summary.conv_figures(self, layer, sample)

    def attention(self, layer=None, batch: int = 0):
        """The attention heads of ``layer`` (a module path such as ``"blocks.0"`` or
        ``"blocks.0.sa.heads.2"``; None: all) for sequence ``batch`` of the batch: weights,
        masked entries, entropy per row and the largest gradients into q, k and v
        (``attention.AttentionView``: ``str()``, ``.table()``, ``.figure()``, ``.to_dict()``).
        ``step.derivation("blocks.0.sa.heads.2[b, i, j]")`` derives one weight and its gradient."""
        return att.attention(self, layer, batch)

    def attention_layers(self) -> list:
        """The names of the attention heads found (``attention.attention_sites``)."""
        return [name for site in att.attention_sites(self) for name in site.head_names()]

    def attention_exact(self, entry: str):
        """One attention weight's score and softmax gradient redone in exact rational arithmetic
        (``glassnet.exact``), from the recorded values: see ``attention.exact_check``."""
        name, index = parse_entry(entry)
        found = att.find_site(self, name)
        if found is None:
            raise KeyError(f"no attention layer {name!r}; there are {self.attention_layers()}")
        site, head = found
        if head is not None:
            index = index[:1] + (head,) + index[1:]
        return att.exact_check(self, site, index)

    def lstm_step(self, layer: int = 0, t: int = 0, batch: int = 0, unit: int = 0, module=None, reverse=False,
                  out_unit: int = 0):
        """One LSTM step's gates i, f, g, o and states with the numbers (see recurrent.py)."""
        return lstm_step(self, layer, t, batch, unit, module, reverse, out_unit)

    def forward_table(self):
        return views.forward_table(self)

    def ops_table(self):
        return views.ops_table(self)

    def backward_table(self):
        return views.backward_table(self)

    def gradient_table(self):
        return views.gradient_table(self)

    def update_table(self):
        return views.update_table(self)

    def update_summary(self) -> str:
        return views.update_summary(self)

    def effect_table(self):
        return views.effect_table(self)

    def insights(self) -> list:
        return cached_insights(self)

    # -- detail on demand (see detail.py): cost in proportion to what is shown ---------------
    def detail_level(self, detail=None) -> str:
        """``"full"`` or ``"summary"``: what the renderers show for ``detail`` (None: by size)."""
        return summary.detail_level(self, detail)

    def table(self, name: str, rows=None, full: bool = False):
        """One table on demand: a view (``"forward"``, ``"ops"``, ``"backward"``, ``"gradients"``,
        ``"update"``, ``"effect"``; the summary's ``"layers"``, ``"parameters"``, ``"ops summary"``,
        ``"largest"``, ``"updates"``) or one parameter's or op's entries (``"0.weight"``, ``"z"``),
        ``rows`` of them (an int, a slice or indices), every column with ``full=True``."""
        return on_demand.table(self, name, rows=rows, full=full)

    def path(self, entry: str):
        """The ops an entry's gradient flows through, from the entry to the loss."""
        return on_demand.path(self, entry)

    # -- renderers ------------------------------------------------------------------------
    def document(self, entries=(), detail=None):
        return build_document(self, entries, detail)

    def to_text(self, entries=(), width: int = 110, detail=None) -> str:
        return text.render(self.document(entries, detail), width=width)

    def to_markdown(self, entries=(), detail=None) -> str:
        return markdown.render(self.document(entries, detail))

    def to_latex(self, entries=(), detail=None) -> str:
        return latex.render(self.document(entries, detail))

    def to_html(self, entries=(), detail=None) -> str:
        return html.render(self.document(entries, detail))

    def _repr_html_(self) -> str:
        return self.to_html()

    def json_version(self, detail=None, version=None) -> int:
        """The JSON version written for ``version=None``: ``/1`` for a recording small enough for
        every table (what the playground and other ``/1`` readers expect), ``/2`` above that size
        or when a ``detail`` level is asked for."""
        return choose_json_version(self, detail, version)

    def to_dict(self, entries=(), detail=None, version=None) -> dict:
        """The recording as JSON-ready data: ``glassnet.explain/2`` (``version=2``; summaries, and
        every array with ``detail="full"``) or ``/1`` (``version=1``); by default ``/1`` for small
        recordings and ``/2`` for large ones (see :meth:`json_version`)."""
        return json_dict(self, entries, detail, version)

    def to_json(self, entries=(), indent=None, detail=None, version=None) -> str:
        """``to_dict`` as JSON text (``/2`` compact, ``/1`` indented by 2 as it always was)."""
        return json_text(self, entries, indent, detail, version)

    def to_dot(self) -> str:
        return graph.to_dot(self)

    def to_svg(self):
        return graph.to_svg(self)
