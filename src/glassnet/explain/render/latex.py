"""LaTeX for handouts: a complete ``article`` (or a fragment) with tables and aligned derivations.

The views write their formulas in Unicode (``∂L/∂z₂ = 0.44 · 1``); :func:`math_to_latex`
turns such a line into math mode, and :func:`text_to_latex` escapes prose, putting the few
mathematical characters it contains into inline math.
"""
from __future__ import annotations

import re

from .._numbers import MINUS
from ..views import Table
from .document import Bullets, Heatmaps, MathBlock, Paragraph, heatmap_text
from .text import cell

_SUBDIGITS = "₀₁₂₃₄₅₆₇₈₉"
_MATH_CHARS = {
    "∂": r"\partial ", "·": r"\cdot ", MINUS: "-", "⊙": r"\odot ", "ŷ": r"\hat{y}", "σ": r"\sigma ",
    "Σ": r"\sum ", "≤": r"\le ", "≥": r"\ge ", "²": "^{2}", "≈": r"\approx ", "…": r"\dots ",
    "ᵢ": "_{i}", "ⱼ": "_{j}", "η": r"\eta ", "√": r"\surd ", "ε": r"\varepsilon ", "→": r"\to ",
    "×": r"\times ", "′": "'", "≠": r"\ne ", "±": r"\pm ",
}
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _subscripts(text: str, math: bool) -> str:
    def repl(m):
        digits = "".join(str(_SUBDIGITS.index(c)) for c in m.group(0))
        return f"_{{{digits}}}" if math else f"$_{{{digits}}}$"
    return re.sub(f"[{_SUBDIGITS}]+", repl, text)


def math_to_latex(line: str) -> str:
    """A Unicode formula as LaTeX math (no surrounding delimiters)."""
    s = re.sub(r"\b([A-Za-z_]\w*(?:\.\w+)+)", lambda m: r"\texttt{" + m.group(1).replace("_", r"\_") + "}",
               line)
    s = re.sub(r"(\w)\u0302", r"\\hat{\1}", s)
    s = s.replace("relu′", r"\mathrm{relu}'").replace("tanh′", r"\tanh'")
    s = s.replace("leaky_relu′", r"\mathrm{leaky\_relu}'")
    s = re.sub(r"\bz_out\b", r"z_{\\mathrm{out}}", s)
    s = re.sub(r"\bmean\(", r"\\operatorname{mean}(", s)
    s = s.replace("%", r"\%")
    s = "".join(_MATH_CHARS.get(c, c) for c in s)
    return _subscripts(s, math=True)


def text_to_latex(text: str) -> str:
    """Prose with special characters escaped and math characters in inline math."""
    s = "".join(_TEXT_ESCAPES.get(c, c) for c in text)
    s = re.sub(r"(\w)\u0302", r"$\\hat{\1}$", s)
    s = "".join(f"${_MATH_CHARS[c].strip()}$" if c in _MATH_CHARS and c != "′" else
                ("$'$" if c == "′" else c) for c in s)
    s = _subscripts(s, math=False)
    return s.replace("$$", "")      # two adjacent inline maths: join them


def table(t: Table) -> str:
    cols = "l" * len(t.columns)
    head = " & ".join(text_to_latex(c) for c in t.columns)
    rows = [" & ".join(text_to_latex(cell(v)) for v in row) + r" \\" for row in t.rows]
    lines = [r"\begin{center}", r"\small", rf"\textbf{{{text_to_latex(t.title)}}}\\[2pt]",
             rf"\begin{{tabular}}{{{cols}}}", r"\hline", head + r" \\", r"\hline", *rows,
             r"\hline", r"\end{tabular}"]
    if t.note:
        lines.append(rf"\\[2pt] \emph{{{text_to_latex(t.note)}}}")
    lines.append(r"\end{center}")
    return "\n".join(lines)


def derivation(block: MathBlock) -> str:
    """Headline and lines as aligned equations, one '=' step per row."""
    out = []
    for line in [block.headline] + [m for m, _ in block.lines]:
        parts = [math_to_latex(p) for p in line.split(" = ")]
        rows = [f"{parts[0]} &= {parts[1]}"] if len(parts) > 1 else [parts[0]]
        rows += [f"&= {p}" for p in parts[2:]]
        out.append(r"\begin{align*}" + "\n" + " \\\\\n".join(rows) + "\n" + r"\end{align*}")
    if block.convention:
        out.insert(1, r"\emph{" + text_to_latex(block.convention) + "}")
    notes = [f"{text_to_latex(m.split(' = ')[0])}: {text_to_latex(n)}" for m, n in block.lines if n]
    if notes:
        out.append(r"\begin{itemize}\small" + "".join(f"\n\\item {n}" for n in notes) + "\n\\end{itemize}")
    return "\n".join(out)


def render(doc, standalone: bool = True) -> str:
    """``doc`` as LaTeX: a complete article (``standalone``) or a fragment to ``\\input``."""
    out = []
    if standalone:
        out += [r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm,landscape]{geometry}",
                r"\usepackage{amsmath,amssymb}", r"\usepackage[utf8]{inputenc}",
                r"\begin{document}"]
    out.append(rf"\section*{{{text_to_latex(doc.title)}}}")
    for sec in doc.sections:
        out.append(rf"\subsection*{{{text_to_latex(sec.title)}}}")
        for block in sec.blocks:
            if isinstance(block, Table):
                out.append(table(block))
            elif isinstance(block, Paragraph):
                out.append(text_to_latex(block.text) + "\n")
            elif isinstance(block, Bullets):
                out.append(r"\begin{itemize}" + "".join(f"\n\\item {text_to_latex(i)}" for i in block.items)
                           + "\n\\end{itemize}")
            elif isinstance(block, Heatmaps):
                out.append(r"{\scriptsize\begin{verbatim}" + "\n" + "\n".join(heatmap_text(block, masked="x"))
                           + "\n" + r"\end{verbatim}}" + (f"\n{text_to_latex(block.note)}\n" if block.note else ""))
            elif isinstance(block, MathBlock):
                out.append(derivation(block))
    if standalone:
        out.append(r"\end{document}")
    return "\n".join(out) + "\n"
