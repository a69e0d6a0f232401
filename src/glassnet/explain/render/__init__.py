"""Renderers for a recording: ``text`` (rich), ``markdown``, ``latex``, ``html``, ``json``.

All but JSON lay out the same :class:`~glassnet.explain.render.document.Document`; JSON writes
the recording's data in the documented, versioned ``glassnet.explain/2`` schema (``/1`` on
request, for readers of the older format).  Each is a plain function of a recording;
``Recording.to_text()`` and the other methods call these.
"""
from __future__ import annotations

from .. import summary
from . import html, json_v1, latex, markdown, text
from . import json as json_v2
from .document import build

FORMATS = ("text", "markdown", "latex", "html", "json")
_LAYOUTS = {"text": text.render, "markdown": markdown.render, "latex": latex.render,
            "html": html.render}


def render(rec, fmt: str = "text", entries=(), detail=None) -> str:
    """``rec`` rendered in ``fmt`` (one of ``FORMATS``), with derivations for ``entries``, at
    ``detail`` (None: chosen by size; ``"summary"``; ``"full"``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return to_json(rec, entries, indent=2, detail=detail)
    return _LAYOUTS[fmt](build(rec, entries, detail))


def json_version(rec, detail=None, version=None) -> int:
    """The JSON version written for ``version=None``: ``/1`` for a recording small enough for
    every table (what the playground and other ``/1`` readers expect), ``/2`` above that size
    or when a ``detail`` level is asked for."""
    if version is None:
        return 1 if detail is None and summary.detail_level(rec) == "full" else 2
    if version not in (1, 2):
        raise ValueError(f"version must be 1, 2 or None (chosen by size), got {version!r}")
    return version


def to_dict(rec, entries=(), detail=None, version=None) -> dict:
    """The recording as JSON-ready data: ``glassnet.explain/2`` (``version=2``; summaries, and
    every array with ``detail="full"``) or ``/1`` (``version=1``); by default ``/1`` for small
    recordings and ``/2`` for large ones (see :func:`json_version`)."""
    if json_version(rec, detail, version) == 1:
        return json_v1.to_dict(rec, entries)
    return json_v2.to_dict(rec, entries, detail)


def to_json(rec, entries=(), indent=None, detail=None, version=None) -> str:
    """``to_dict`` as JSON text (``/2`` compact, ``/1`` indented by 2 as it always was)."""
    if json_version(rec, detail, version) == 1:
        return json_v1.to_json(rec, entries, indent=2 if indent is None else indent)
    return json_v2.to_json(rec, entries, indent=indent, detail=detail)
