"""Renderers for a recording: ``text`` (rich), ``markdown``, ``latex``, ``html``, ``json``.

All but JSON lay out the same :class:`~glassnet.explain.render.document.Document`; JSON writes
the recording's data in the documented, versioned ``glassnet.explain/2`` schema (``/1`` on
request, for readers of the older format).
"""

FORMATS = ("text", "markdown", "latex", "html", "json")


def render(rec, fmt: str = "text", entries=(), detail=None) -> str:
    """``rec`` rendered in ``fmt`` (one of ``FORMATS``), with derivations for ``entries``, at
    ``detail`` (None: chosen by size; ``"summary"``; ``"full"``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return rec.to_json(entries, indent=2, detail=detail)
    return {"text": rec.to_text, "markdown": rec.to_markdown, "latex": rec.to_latex,
            "html": rec.to_html}[fmt](entries, detail=detail)
