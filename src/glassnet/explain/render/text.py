"""The terminal view: rich tables and rules, exported as plain text (or shown with colour).

rich is imported when text is first rendered, so that ``import glassnet.explain`` (and the HTML,
Markdown, LaTeX and JSON renderers) do without it.
"""
from __future__ import annotations

import io

from .._numbers import fmt_any
from ..views import Table
from .document import Bullets, Heatmaps, MathBlock, Paragraph, heatmap_text


def cell(value) -> str:
    """A table cell as text: strings as they are, numbers and arrays through ``fmt_any``."""
    return value if isinstance(value, str) else fmt_any(value)


def _table(t: Table):
    from rich.table import Table as RichTable
    out = RichTable(title=t.title, caption=t.note or None, title_justify="left", show_lines=False)
    for c in t.columns:
        out.add_column(c, overflow="fold")
    for row in t.rows:
        out.add_row(*[cell(v) for v in row])
    return out


def print_document(doc, console) -> None:
    """Print ``doc`` on a rich ``console`` (a ``rich.console.Console``)."""
    from rich.text import Text
    console.rule(Text(doc.title, style="bold"))
    for sec in doc.sections:
        console.print()
        console.rule(Text(sec.title, style="bold cyan"), align="left")
        for block in sec.blocks:
            if isinstance(block, Table):
                console.print(_table(block))
            elif isinstance(block, Paragraph):
                console.print(Text(block.text))
            elif isinstance(block, Bullets):
                for item in block.items:
                    console.print(Text("• " + item))
            elif isinstance(block, Heatmaps):
                for line in heatmap_text(block) + ([block.note] if block.note else []):
                    console.print(Text(line))
            elif isinstance(block, MathBlock):
                console.print(Text(block.headline, style="bold"))
                if block.convention:
                    console.print(Text(block.convention, style="dim"))
                for math, note in block.lines:
                    console.print(Text("  " + math + (f"    ({note})" if note else "")))
            console.print()


def render(doc, width: int = 110) -> str:
    """``doc`` as plain text (rich's layout, no colour codes)."""
    from rich.console import Console
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_document(doc, console)
    return console.export_text()
