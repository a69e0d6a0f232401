"""HTML for notebooks (``Recording._repr_html_``) and reports: one self-contained ``<div>``."""
from __future__ import annotations

from html import escape

from ..views import Table
import numpy as np

from .document import Bullets, Heatmaps, MathBlock, Paragraph
from .png import data_uri, heatmap_png
from .text import cell

STYLE = """<style>
.glassnet-explain{font-family:system-ui,sans-serif;font-size:13px;line-height:1.4}
.glassnet-explain table{border-collapse:collapse;margin:6px 0 12px}
.glassnet-explain th,.glassnet-explain td{border:1px solid #ccc;padding:2px 6px;text-align:left;
 font-variant-numeric:tabular-nums;vertical-align:top}
.glassnet-explain caption{text-align:left;font-weight:600}
.glassnet-explain pre{background:#f6f8fa;padding:6px;overflow-x:auto}
.glassnet-explain .note{color:#555;font-style:italic}
</style>"""


def table(t: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(v))}</td>" for v in row) + "</tr>"
                   for row in t.rows)
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return (f"<table><caption>{escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{note}")


def _math(block: MathBlock) -> str:
    note = f'<p class="note">{escape(block.convention)}</p>' if block.convention else ""
    lines = "\n".join(escape(m + (f"    ({n})" if n else "")) for m, n in block.lines)
    return f"{note}\n<pre>{lines}</pre>" if note else f"<pre>{lines}</pre>"


def heatmaps(block: Heatmaps) -> str:
    """Each panel as a PNG (``png.heatmap_png``) on the scale 0 … the largest weight shown."""
    top = max((float(np.max(np.where(m, 0, w), initial=0)) for _, w, m, _ in block.panels), default=1.0)
    figs = []
    for name, w, m, caption in block.panels:
        cell = max(2, min(12, 192 // max(np.shape(w))))
        figs.append(f'<figure style="margin:0;font-size:11px"><img alt="{escape(name)}" '
                    f'style="image-rendering:pixelated;width:192px;border:1px solid #ccc" '
                    f'src="{data_uri(heatmap_png(w, m, top, cell))}">'
                    f"<figcaption><b>{escape(name)}</b><br>{escape(caption)}</figcaption></figure>")
    note = f"Colour: viridis from 0 (dark) to {top:.4g} (yellow); rows are queries, columns keys. {block.note}"
    return (f"<p><b>{escape(block.title)}</b></p><div style=\"display:flex;flex-wrap:wrap;gap:10px\">{''.join(figs)}</div>"
            f'<p class="note">{escape(note)}</p>')


def render(doc) -> str:
    """``doc`` as an HTML fragment with its own (scoped) style."""
    out = [STYLE, '<div class="glassnet-explain">', f"<h2>{escape(doc.title)}</h2>"]
    for sec in doc.sections:
        out.append(f"<h3>{escape(sec.title)}</h3>")
        for block in sec.blocks:
            if isinstance(block, Table):
                out.append(table(block))
            elif isinstance(block, Paragraph):
                out.append(f"<p>{escape(block.text)}</p>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>")
            elif isinstance(block, Heatmaps):
                out.append(heatmaps(block))
            elif isinstance(block, MathBlock) and block.collapsed:
                out.append(f"<details><summary>{escape(block.headline)}</summary>{_math(block)}</details>")
            elif isinstance(block, MathBlock):
                out.append(f"<p><b>{escape(block.headline)}</b></p>")
                out.append(_math(block))
    out.append("</div>")
    return "\n".join(out)
