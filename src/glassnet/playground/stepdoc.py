"""The recording's JSON for the step-through: numbers tagged with their JSON pointer.

Every number the step-through shows is a ``<span class="num">`` with ``data-path``, the JSON
pointer of the value in glassnet.explain's recording, and ``data-value``, the value itself; a
number computed here from recorded ones carries ``data-derived`` (saying from what) instead.
"""
from __future__ import annotations

import html

from glassnet.explain import fmt as explain_fmt


def fmt(value) -> str:
    """As glassnet explain prints a number."""
    return "–" if value is None else explain_fmt(value)


class Doc:
    """The recording's JSON with helpers that emit numbers tagged with their JSON pointer."""

    def __init__(self, doc: dict):
        self.doc = doc

    def get(self, path: str):
        """The value at a JSON pointer (RFC 6901, without the leading slash)."""
        return pointer(self.doc, path)

    def num(self, path: str, value=None) -> str:
        v = self.get(path) if value is None else value
        return (f'<span class="num" data-path="{html.escape(path)}" data-value="{_repr(v)}">'
                f"{html.escape(fmt(v))}</span>")

    def paren(self, path: str, value=None) -> str:
        v = self.get(path) if value is None else value
        s = self.num(path, value)
        return f"({s})" if v is not None and v < 0 else s


def pointer(doc, path: str):
    """``doc`` at the JSON pointer ``path`` ("layers/0/neurons/1/z"; "~1" is "/", "~0" is "~")."""
    node = doc
    for key in path.split("/"):
        key = key.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _key(k: str) -> str:
    return k.replace("~", "~0").replace("/", "~1")


def _repr(v) -> str:
    return "null" if v is None else repr(float(v))


def derived(value, how: str) -> str:
    """A number computed here from recorded ones (``how`` says from which), not itself recorded."""
    return (f'<span class="num derived" data-derived="{html.escape(how)}" data-value="{_repr(value)}">'
            f"{html.escape(fmt(value))}</span>")


def paren_derived(value, how: str) -> str:
    s = derived(value, how)
    return f"({s})" if value < 0 else s


def percent(path: str, value) -> str:
    """A percentage, to two decimals (the value itself is the recording's)."""
    return (f'<span class="num" data-path="{html.escape(path)}" data-value="{_repr(value)}" data-format="pct2">'
            f"{'–' if value is None else f'{value:+.2f}'.replace('-', '−')}</span>")
