"""The views of a recording as its methods (``step.forward_table()``, ``step.to_html()`` …).

``Recording`` inherits them.  Each is thin: it imports its view module when called, so that this
module, like ``recording.py``, imports nothing of the package at load time and the recording's
data stays at the bottom of the import graph.
"""
from __future__ import annotations


class Views:
    """Views, detail on demand and renderers of a ``Recording`` (see the modules each names)."""

    # -- views (see views.py, derivation.py, insights.py) ---------------------------------
    def derivation(self, entry: str):
        """The chain rule for one parameter entry, e.g. ``"layer1.weight[2, 0]"``, with numbers."""
        from .derivation import derive
        return derive(self, entry)

    def forward_table(self):
        from .views import forward_table
        return forward_table(self)

    def ops_table(self):
        from .views import ops_table
        return ops_table(self)

    def backward_table(self):
        from .views import backward_table
        return backward_table(self)

    def gradient_table(self):
        from .views import gradient_table
        return gradient_table(self)

    def update_table(self):
        from .views import update_table
        return update_table(self)

    def update_summary(self) -> str:
        from .views import update_summary
        return update_summary(self)

    def effect_table(self):
        from .views import effect_table
        return effect_table(self)

    def insights(self) -> list:
        from .insights import insights
        return list(self.cached("insights", lambda: insights(self)))

    # -- detail on demand (see detail.py): cost in proportion to what is shown ---------------
    def detail_level(self, detail=None) -> str:
        """``"full"`` or ``"summary"``: what the renderers show for ``detail`` (None: by size)."""
        from .summary import detail_level
        return detail_level(self, detail)

    def table(self, name: str, rows=None, full: bool = False):
        """One table on demand: a view (``"forward"``, ``"ops"``, ``"backward"``, ``"gradients"``,
        ``"update"``, ``"effect"``; the summary's ``"layers"``, ``"parameters"``, ``"ops summary"``,
        ``"largest"``, ``"updates"``) or one parameter's or op's entries (``"0.weight"``, ``"z"``),
        ``rows`` of them (an int, a slice or indices), every column with ``full=True``."""
        from .detail import table
        return table(self, name, rows=rows, full=full)

    def path(self, entry: str):
        """The ops an entry's gradient flows through, from the entry to the loss."""
        from .detail import path
        return path(self, entry)

    # -- renderers ------------------------------------------------------------------------
    def document(self, entries=(), detail=None):
        from .render.document import build
        return build(self, entries, detail)

    def to_text(self, entries=(), width: int = 110, detail=None) -> str:
        from .render.text import render
        return render(self.document(entries, detail), width=width)

    def to_markdown(self, entries=(), detail=None) -> str:
        from .render.markdown import render
        return render(self.document(entries, detail))

    def to_latex(self, entries=(), detail=None) -> str:
        from .render.latex import render
        return render(self.document(entries, detail))

    def to_html(self, entries=(), detail=None) -> str:
        from .render.html import render
        return render(self.document(entries, detail))

    def _repr_html_(self) -> str:
        return self.to_html()

    def json_version(self, detail=None, version=None) -> int:
        """The JSON version written for ``version=None``: ``/1`` for a recording small enough for
        every table (what the playground and other ``/1`` readers expect), ``/2`` above that size
        or when a ``detail`` level is asked for."""
        if version is None:
            return 1 if detail is None and self.detail_level() == "full" else 2
        if version not in (1, 2):
            raise ValueError(f"version must be 1, 2 or None (chosen by size), got {version!r}")
        return version

    def to_dict(self, entries=(), detail=None, version=None) -> dict:
        """The recording as JSON-ready data: ``glassnet.explain/2`` (``version=2``; summaries, and
        every array with ``detail="full"``) or ``/1`` (``version=1``); by default ``/1`` for small
        recordings and ``/2`` for large ones (see :meth:`json_version`)."""
        if self.json_version(detail, version) == 1:
            from .render.json_v1 import to_dict as to_dict_v1
            return to_dict_v1(self, entries)
        from .render.json import to_dict
        return to_dict(self, entries, detail)

    def to_json(self, entries=(), indent=None, detail=None, version=None) -> str:
        """``to_dict`` as JSON text (``/2`` compact, ``/1`` indented by 2 as it always was)."""
        if self.json_version(detail, version) == 1:
            from .render.json_v1 import to_json as to_json_v1
            return to_json_v1(self, entries, indent=2 if indent is None else indent)
        from .render.json import to_json
        return to_json(self, entries, indent=indent, detail=detail)

    def to_dot(self) -> str:
        from .graph import to_dot
        return to_dot(self)

    def to_svg(self):
        from .graph import to_svg
        return to_svg(self)
