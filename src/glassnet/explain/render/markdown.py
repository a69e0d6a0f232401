"""Markdown: headings, pipe tables, bullet lists, derivations in fenced blocks."""
from __future__ import annotations

from ..views import Table
from .document import Bullets, Heatmaps, MathBlock, Paragraph, heatmap_text
from .text import cell


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(t: Table) -> str:
    lines = [f"**{t.title}**", "", "| " + " | ".join(_esc(c) for c in t.columns) + " |",
             "|" + "|".join("---" for _ in t.columns) + "|"]
    lines += ["| " + " | ".join(_esc(cell(v)) for v in row) + " |" for row in t.rows]
    if t.note:
        lines += ["", f"*{_esc(t.note)}*"]
    return "\n".join(lines)


def render(doc) -> str:
    """``doc`` as GitHub-flavoured Markdown."""
    out = [f"# {doc.title}", ""]
    for sec in doc.sections:
        out += [f"## {sec.title}", ""]
        for block in sec.blocks:
            if isinstance(block, Table):
                out.append(table(block))
            elif isinstance(block, Paragraph):
                out.append(block.text)
            elif isinstance(block, Bullets):
                out.append("\n".join(f"- {item}" for item in block.items))
            elif isinstance(block, Heatmaps):
                out += ["```text"] + heatmap_text(block) + ["```"] + ([f"*{_esc(block.note)}*"] if block.note else [])
            elif isinstance(block, MathBlock):
                out.append(f"**{block.headline}**")
                if block.convention:
                    out += ["", f"*{block.convention}*"]
                out += ["", "```text"] + [m + (f"    ({n})" if n else "") for m, n in block.lines] + ["```"]
            out.append("")
    return "\n".join(out).rstrip() + "\n"
