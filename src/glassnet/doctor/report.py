"""Findings and the report that holds them, rendered like explain's: rich text, Markdown, HTML, JSON.

A ``Finding`` is one diagnosis with the number behind it: a stable ``id``, a ``severity``
('error', 'warning', 'info'), a one-sentence ``message``, the ``evidence`` (the measured number,
the threshold it was compared with, and what was measured), ``where`` (layer, parameter, step,
line of the script when known) and the ``fix``.

JSON (``Report.to_dict``)::

    {"findings": [{"id", "severity", "message", "evidence", "where", "fix"}],
     "steps_observed": int, "source": str, "engine": "torch" | "glassnet", "stopped": bool,
     "seconds": float, "checks_run": [id, ...]}
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass, field
from html import escape

SEVERITIES = ("error", "warning", "info")
_ICON = {"error": "✗", "warning": "!", "info": "i"}
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@dataclass
class Finding:
    """One diagnosis: what was measured, against which threshold, where, and what to do."""

    id: str
    severity: str
    message: str
    evidence: dict
    where: dict = field(default_factory=dict)
    fix: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}; got {self.severity!r}")

    def to_dict(self) -> dict:
        return {k: _plain(v) for k, v in asdict(self).items()}


def _plain(value):
    """JSON-safe: NumPy scalars to Python numbers, non-finite floats to strings, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def fmt(x) -> str:
    """A measured number, short: 3 significant digits, scientific when tiny or huge."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
            return f"{x:.2e}"
        return f"{x:.3g}"
    return str(x)


def _where_text(where: dict) -> str:
    parts = []
    for key in ("layer", "parameter", "step", "line"):
        if where.get(key) is not None:
            parts.append(f"{key} {where[key]}")
    return ", ".join(parts)


def _evidence_text(ev: dict) -> str:
    text = f"{ev.get('measured_what', 'measured')}: {fmt(ev.get('measured'))}"
    if ev.get("threshold") is not None:
        text += f" (threshold {ev.get('comparison', '')}{fmt(ev['threshold'])})".replace("( ", "(")
    return text


@dataclass
class Report:
    """What the doctor found: findings (errors first), how much it saw, and how."""

    findings: list
    steps_observed: int
    source: str = ""
    engine: str = ""
    stopped: bool = False
    seconds: float = 0.0
    checks_run: list = field(default_factory=list)
    output_tail: str = ""            # the last lines the script printed (not in JSON)

    def __post_init__(self):
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.findings = sorted(self.findings, key=lambda f: order[f.severity])

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        """1 when any error was found, 0 otherwise (the CLI's exit status)."""
        return 1 if self.errors else 0

    def ids(self, severity: str | None = None) -> set:
        return {f.id for f in self.findings if severity is None or f.severity == severity}

    # -- renderers ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings],
                "steps_observed": self.steps_observed, "source": self.source, "engine": self.engine,
                "stopped": self.stopped, "seconds": round(self.seconds, 3),
                "checks_run": list(self.checks_run)}

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def _headline(self) -> str:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        run = (f"stopped after {self.steps_observed} training steps" if self.stopped
               else f"{self.steps_observed} training steps observed")
        return (f"glassnet doctor: {self.source or 'model'} ({self.engine}, {run}, "
                f"{self.seconds:.1f} s): {counts['error']} errors, {counts['warning']} warnings, "
                f"{counts['info']} notes; {len(self.checks_run)} checks run")

    def to_markdown(self) -> str:
        out = [f"**{self._headline()}**", ""]
        if not self.findings:
            out.append("No findings: every check passed.")
        for f in self.findings:
            out.append(f"- **{f.severity}** `{f.id}`: {f.message}")
            out.append(f"  - evidence: {_evidence_text(f.evidence)}")
            if f.where:
                out.append(f"  - where: {_where_text(f.where)}")
            if f.fix:
                out.append(f"  - fix: {f.fix}")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        rows = "".join(
            f"<tr><td class='{f.severity}'>{escape(f.severity)}</td><td><code>{escape(f.id)}</code></td>"
            f"<td>{escape(f.message)}</td><td>{escape(_evidence_text(f.evidence))}</td>"
            f"<td>{escape(_where_text(f.where))}</td><td>{escape(f.fix)}</td></tr>"
            for f in self.findings)
        style = ("<style>.glassnet-doctor{font-family:system-ui,sans-serif;font-size:13px}"
                 ".glassnet-doctor table{border-collapse:collapse}.glassnet-doctor td,.glassnet-doctor th"
                 "{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}"
                 ".glassnet-doctor .error{color:#b00;font-weight:600}.glassnet-doctor .warning"
                 "{color:#a60}.glassnet-doctor .info{color:#06c}</style>")
        body = (f"<table><thead><tr><th>severity</th><th>id</th><th>finding</th><th>evidence</th>"
                f"<th>where</th><th>fix</th></tr></thead><tbody>{rows}</tbody></table>"
                if self.findings else "<p>No findings: every check passed.</p>")
        return f"{style}<div class='glassnet-doctor'><p><b>{escape(self._headline())}</b></p>{body}</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def print(self, console=None) -> None:
        """Print on a rich console (colour when it is a terminal)."""
        from rich.console import Console
        from rich.text import Text
        console = console or Console()
        console.print(Text(self._headline(), style="bold"))
        if not self.findings:
            console.print("No findings: every check passed.")
        for f in self.findings:
            console.print()
            line = Text(f"{_ICON[f.severity]} {f.severity} ", style=_STYLE[f.severity])
            line.append(f.id, style="bold")
            line.append(f": {f.message}")
            console.print(line)
            console.print(Text(f"    evidence: {_evidence_text(f.evidence)}"))
            if f.where:
                console.print(Text(f"    where: {_where_text(f.where)}"))
            if f.fix:
                console.print(Text(f"    fix: {f.fix}", style="green"))

    def to_text(self, width: int = 100) -> str:
        from rich.console import Console
        buffer = io.StringIO()
        self.print(Console(file=buffer, width=width, color_system=None, highlight=False))
        return buffer.getvalue()

    def render(self, fmt_: str) -> str:
        """'text', 'markdown', 'html' or 'json'."""
        renderers = {"text": self.to_text, "markdown": self.to_markdown, "html": self.to_html,
                     "json": self.to_json}
        if fmt_ not in renderers:
            raise ValueError(f"--format must be one of {', '.join(renderers)}; got {fmt_!r}")
        return renderers[fmt_]()
