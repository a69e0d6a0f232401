"""Renderers for a recording: ``text`` (rich), ``markdown``, ``latex``, ``html``, ``json``.

All but JSON lay out the same :class:`~glassnet.explain.render.document.Document`; JSON writes
the recording's data in the documented, versioned ``glassnet.explain/1`` schema.
"""

FORMATS = ("text", "markdown", "latex", "html", "json")


def render(rec, fmt: str = "text", entries=()) -> str:
    """``rec`` rendered in ``fmt`` (one of ``FORMATS``), with derivations for ``entries``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return rec.to_json(entries)
    return {"text": rec.to_text, "markdown": rec.to_markdown, "latex": rec.to_latex,
            "html": rec.to_html}[fmt](entries)
