"""One document per recording, rendered by every format (text, Markdown, LaTeX, HTML).

``build`` gathers the views into sections of blocks: paragraphs, bullet lists, tables and
derivations.  The renderers only lay these out; they compute nothing, so the terminal, the
handout and the notebook always show the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import attention, summary, views
from .._numbers import fmt, pct
from ..derivation import attention_derivation, derive
from ..detail import summary_tables
from ..insights import cached_insights


@dataclass
class Paragraph:
    text: str
    kind: str = "p"          # 'p' or 'note'


@dataclass
class Bullets:
    items: list


@dataclass
class MathBlock:
    """A derivation: headline, convention, then one (math, note) per line."""

    headline: str
    lines: list
    convention: str = ""
    collapsed: bool = False      # HTML shows it folded (one click away)


@dataclass
class Heatmaps:
    """Attention weights to draw: panels of (name, weights (L, S), masked (L, S), caption)."""

    title: str
    panels: list
    note: str = ""


def heatmap_text(block: Heatmaps, masked: str = attention.MASKED_CHAR) -> list:
    """The heatmaps as text lines: per panel its name and caption, then one line per query row
    (one character per key, ``attention.SHADES`` from 0 to the largest weight of all panels)."""
    top = max((float(np.max(np.where(m, 0, w), initial=0)) for _, w, m, _ in block.panels), default=1.0)
    out = [f"{block.title} (one character per key: '{attention.SHADES[1]}' small … "
           f"'{attention.SHADES[-1]}' {fmt(top)}; '{masked}' masked)"]
    for name, w, m, caption in block.panels:
        out.append(f"{name}: {caption}")
        out += ["  " + r.replace(attention.MASKED_CHAR, masked) for r in attention.shade_rows(w, m, top)]
    return out


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    sections: list = field(default_factory=list)


def overview(rec) -> str:
    """One paragraph: model, dtype, optimizer, loss before → after."""
    parts = []
    if rec.model_type:
        parts.append(f"Model {rec.model_type} with {views.params_count(rec)} parameters")
    parts.append(f"dtype {rec.dtype}" + (" (exact rational arithmetic: no rounding anywhere)"
                                         if rec.exact else ""))
    if rec.optimizer_type:
        hyper = ", ".join(f"{k}={fmt(v) if isinstance(v, (int, float)) or hasattr(v, 'denominator') else v}"
                          for k, v in rec.hyper.items()
                          if k in ("lr", "momentum", "weight_decay", "betas", "eps") and v not in (0, None))
        parts.append(f"optimizer {rec.optimizer_type}({hyper})")
    e = rec.effect
    if e is not None and e.loss_before is not None:
        loss = f"loss {fmt(e.loss_before)}"
        if e.loss_after is not None:
            loss += f" → {fmt(e.loss_after)} ({pct(e.loss_before, e.loss_after):+.1f} %)".replace("-", "−")
        parts.append(loss)
    return "; ".join(parts) + "."


def build(rec, entries=(), detail=None) -> Document:
    """The document for ``rec``, with a derivation for each name in ``entries``: every table
    (``detail="full"``, the default for small recordings) or the summary (see ``summary``)."""
    if summary.detail_level(rec, detail) == "summary":
        return build_summary(rec, entries)
    doc = Document(rec.title or f"One training step of {rec.model_type or 'a computation'}")
    intro = Section("Overview", [Paragraph(overview(rec))] + [Paragraph(n) for n in rec.notes])
    doc.sections.append(intro)
    fwd = Section("Forward pass")
    if rec.layers():
        fwd.blocks.append(views.forward_table(rec))
    fwd.blocks.append(views.ops_table(rec))
    doc.sections.append(fwd)
    if rec.loss_index is not None:
        doc.sections.append(Section("Backward pass", [views.backward_table(rec)]))
    if rec.params:
        doc.sections.append(Section("Gradients", [views.gradient_table(rec)]))
    _attention(rec, doc)
    _derivations(rec, doc, entries)
    if rec.params:
        doc.sections.append(Section("The update", [views.update_table(rec),
                                                   Paragraph(views.update_summary(rec))]))
    if rec.effect is not None and rec.effect.loss_before is not None:
        doc.sections.append(Section("The effect of the step", [views.effect_table(rec)]))
    _closing(rec, doc)
    return doc


def _derivations(rec, doc, entries) -> None:
    """The derivations asked for, one math block each (no section without entries)."""
    if entries:
        sec = Section("Derivations")
        for entry in entries:
            d = derive(rec, entry)
            sec.blocks.append(MathBlock(d.headline, d.lines, d.convention))
        doc.sections.append(sec)


def _attention(rec, doc, batch: int = 0) -> None:
    """Per attention head, sequence ``batch``: the table, the weights as heatmaps, and the
    derivation of one weight (the last query's largest) and of its gradient (folded in HTML)."""
    sites = attention.attention_sites(rec)
    if not sites:
        return
    view = attention.attention(rec, None, batch)
    sec = Section("Attention", [Paragraph(
        f"{len(view)} attention head(s); the weights of sequence {batch} "
        f"of the batch (rows: queries, columns: keys). Every head is one call away: "
        f"step.attention(\"{sites[0].name}\", batch={batch}); a weight's derivation: "
        f"step.derivation(\"{view.heads[0].name}[{batch}, i, j]\")."), view.table()])
    sec.blocks.append(Heatmaps(f"Attention weights, sequence {batch}",
                               [(h.name, h.weights, h.masked,
                                 f"entropy {fmt(h.mean_entropy)} of {fmt(h.mean_max_entropy)} nats")
                                for h in view.heads],
                               note="Masked entries (the mask hides those keys) are drawn hatched grey "
                                    "(in text: ·), not as a weight of 0."))
    site = sites[0]
    if site.op.grad_out is not None or site.fused:
        first = view.heads[0]
        i = first.weights.shape[0] - 1
        j = int(np.argmax(np.where(first.masked[i], -1.0, first.weights[i])))
        index = (batch,) + ((first.head,) if first.head is not None else ()) + (i, j)
        d = attention_derivation(rec, site, index)
        sec.blocks.append(MathBlock(d.headline, d.lines, d.convention, collapsed=True))
    doc.sections.append(sec)


def _closing(rec, doc) -> None:
    """Insights, the seed's checked claims and the PyTorch cross-check (every detail level)."""
    found = cached_insights(rec)
    if found:
        doc.sections.append(Section("Insights", [Bullets([i.message for i in found])]))
    if rec.claims:
        table = views.Table("The seed's numbers, checked",
                            ["quantity", "seed says", "computed", "verdict"])
        notes = []
        for c in rec.claims:
            table.rows.append([c.quantity, c.seed, c.computed, c.verdict])
            if c.note:
                notes.append(f"{c.quantity}: {c.note}")
        doc.sections.append(Section("Checking the seed", [table] + ([Bullets(notes)] if notes else [])))
    if rec.comparison is not None:
        cmp = rec.comparison
        table = views.Table(f"Cross-check with PyTorch {cmp.torch_version}",
                            ["quantity", "largest |glassnet − torch|", "glassnet", "torch"])
        for row in cmp.rows:
            table.rows.append([row.quantity, row.max_abs_diff, row.glassnet, row.torch])
        doc.sections.append(Section("Cross-check with PyTorch",
                                    [table] + [Paragraph(n) for n in cmp.notes]))


# -- the summary ----------------------------------------------------------------------------------
def build_summary(rec, entries=()) -> Document:
    """The summary document: per layer, per parameter, per op, the largest entries (with the
    derivation of the top three, folded in HTML), the update, the effect and the insights."""
    size = summary.size(rec)
    doc = Document(rec.title or f"One training step of {rec.model_type or 'a computation'}")
    note = (f"Summary view: the recording has {size['parameters']} parameter entries and tensors of up "
            f"to {size['largest_tensor']} values, above the full-detail limit of "
            f"{summary.FULL_DETAIL_LIMIT}. Every number is one call away: step.table(\"update\"), "
            f"step.table(NAME, rows=..., full=True) for one parameter or op, step.derivation(ENTRY), "
            f"step.path(ENTRY); detail=\"full\" renders every table.")
    doc.sections.append(Section("Overview", [Paragraph(overview(rec))] + [Paragraph(n) for n in rec.notes]
                                + [Paragraph(note, "note")]))
    tables = summary_tables(rec)
    if tables["layers"].rows:
        doc.sections.append(Section("Layers", [tables["layers"]]))
    if tables["conv layers"].rows:
        doc.sections.append(Section("Convolution layers", [tables["conv layers"], tables["conv channels"]]))
    if rec.params:
        doc.sections.append(Section("Parameters", [tables["parameters"]]))
    doc.sections.append(Section("Forward and backward pass", [tables["ops summary"]]))
    if rec.params and rec.loss_index is not None:
        sec = Section("The largest gradients", [tables["largest"]])
        for row in tables["largest"].rows[:3]:
            d = derive(rec, row[0])
            sec.blocks.append(MathBlock(d.headline, d.lines, d.convention, collapsed=True))
        doc.sections.append(sec)
    _attention(rec, doc)
    _derivations(rec, doc, entries)
    if rec.params:
        doc.sections.append(Section("The update", [tables["updates"], Paragraph(views.update_summary(rec))]))
    if rec.effect is not None and rec.effect.loss_before is not None:
        doc.sections.append(Section("The effect of the step", [views.effect_table(rec)]))
    _closing(rec, doc)
    return doc
