"""Rendering results: lessons and trainings in the terminal (rich), the tour as one HTML file.

Both read the same ``LessonResult`` objects; nothing here computes a number.  The HTML report is
self-contained: figures are embedded as base64 PNG, styles are inline, no scripts are loaded.
"""
from __future__ import annotations

import html
import time
from pathlib import Path

STATUS = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


def _console():
    from rich.console import Console
    return Console(highlight=False)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# -- terminal ------------------------------------------------------------------------------------

def print_lesson_list(console=None) -> None:
    from rich.table import Table

    from .. import lessons
    console = console or _console()
    table = Table(title="glassnet lessons", show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("what it shows")
    for name in lessons.names():
        table.add_row(name, lessons.describe(name))
    console.print(table)
    console.print("Run one with: glassnet lesson NAME [--plot DIR]")


def print_lesson(result, console=None) -> None:
    """The whole lesson: summary, the seed code's output, tables, explanation, claims, checks."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    console = console or _console()
    console.rule(f"[bold]{escape(result.title)}[/]")
    console.print(f"[dim]{escape(result.seed)}[/]\n")
    console.print(escape(result.summary) + "\n")
    if result.output:
        console.print(Panel(escape("\n".join(result.output)), title="the seed's code, run on glassnet",
                            title_align="left", expand=False))
    for heading, text in result.sections:
        console.print(f"\n[bold underline]{escape(heading)}[/]")
        console.print("\n\n".join(escape(p) for p in text.split("\n\n")))
    if result.checks:
        console.print("\n[bold]Checklist[/]")
        for check in result.checks:
            console.print(f"  {STATUS[check.status]}  {escape(check.name)}: {escape(check.value)}"
                          f"  [dim]{escape(check.detail)}[/]")
    for table in result.tables:
        rich_table = Table(title=escape(table.title), title_justify="left", caption=escape(table.caption)
                           or None, caption_justify="left")
        for column in table.columns:
            rich_table.add_column(escape(str(column)))
        for row in table.rows:
            rich_table.add_row(*(escape(_cell(v)) for v in row))
        console.print()
        console.print(rich_table)
    if result.claims:
        console.print("\n[bold]The seed's claims against the measurements[/]")
        for claim in result.claims:
            mark = "[green]✓ holds[/]" if claim.holds else "[red]✗ does not hold[/]"
            console.print(f"  {mark}  {escape(claim.seed_says)}  →  measured: {escape(claim.measured)}")
    if "text" in result.documents:
        console.print("\n" + escape(result.documents["text"]))
    console.print(f"\n[dim]computed in {result.seconds:.2f} s[/]")


def print_training(run, console=None) -> None:
    """The final train/test report of ``glassnet train``."""
    from rich.table import Table
    console = console or _console()
    metric = "R²" if run.task == "regression" else "accuracy"
    kind = "MLP" if getattr(run.spec, "model", "mlp") == "mlp" else "LeNet"
    console.print(f"[bold]{run.spec.data}[/]: {run.architecture} {kind} ({run.parameters} parameters), "
                  f"{run.spec.activation}, {run.loss}, {run.spec.optimizer} lr {run.spec.lr}, "
                  f"{run.spec.epochs} epochs, batch {run.spec.batch_size or 'full'}, seed {run.spec.seed}")
    if getattr(run.spec, "engine", "glassnet") != "glassnet":
        console.print(f"engine {run.spec.engine}" + (f", {run.spec.nproc * run.spec.nnodes} processes "
                                                     f"(DistributedDataParallel)"
                                                     if run.spec.nproc * run.spec.nnodes > 1 else ""))
    table = Table()
    for column in ("split", "samples", "loss", metric):
        table.add_column(column)
    rows = [("train", run.n_train, run.final["loss"], run.final["accuracy"])]
    if run.n_test:
        rows.append(("test", run.n_test, run.final["test_loss"], run.final["test_accuracy"]))
    for split, n, loss, score in rows:
        table.add_row(split, str(n), f"{loss:.4f}",
                      f"{score:.4f}" if run.task == "regression" else f"{score:.2%}")
    console.print(table)
    if not run.n_test:
        console.print("no held-out split (--test-size 0): the numbers are on the training data")
    if run.saved:
        console.print(f"saved the model to {run.saved}")
    for path in run.figures:
        console.print(f"wrote {path}")
    console.print(f"trained in {run.seconds:.1f} s")


def print_predictions(result, show: int, output=None, console=None) -> None:
    console = console or _console()
    arch = result["architecture"]
    names = arch.get("classes")
    for i, p in enumerate(result["predictions"][:show]):
        label = names[int(p)] if names else f"{p:.6g}"
        console.print(f"{i}: {label}")
    if result["n"] > show > 0:
        console.print(f"... ({result['n']} predictions in all)")
    if result["score"] is not None:
        kind = "R²" if arch["task"] == "regression" else "accuracy"
        value = f"{result['score']:.4f}" if arch["task"] == "regression" else f"{result['score']:.2%}"
        console.print(f"{kind} on {result['n']} samples: {value}")
    if output is not None:
        console.print(f"wrote {output}")


# -- the tour (HTML) -----------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:980px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #333}h2{margin-top:2.5em;border-bottom:1px solid #aaa}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top}th{background:#f2f2f2}caption{caption-side:top;text-align:left;
font-weight:600;padding-bottom:.3em}pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.85em}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{color:#444;font-size:.9em}
.holds{color:#1a7f37}.fails{color:#b42318}.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#b42318}
.summary{background:#eef5ff;border-left:4px solid #3b6fd6;padding:.6em 1em}.meta{color:#666}
nav ul{columns:2}
"""


def _p(text: str) -> str:
    return "".join(f"<p>{html.escape(par)}</p>" for par in text.split("\n\n") if par.strip())


def lesson_html(result) -> str:
    """One lesson as an HTML section (figures embedded as base64 PNG)."""
    from ..viz import to_data_uri
    e = html.escape
    parts = [f'<section id="{e(result.name)}"><h2>{e(result.title)}</h2>',
             f'<p class="meta">{e(result.seed)} · <code>glassnet lesson {e(result.name)}</code> · '
             f'{result.seconds:.1f} s</p>', f'<div class="summary">{_p(result.summary)}</div>']
    if result.claims:
        parts.append("<h3>The seed's claims, measured</h3><table><tr><th>the seed says</th>"
                     "<th>measured</th><th></th></tr>")
        for c in result.claims:
            verdict = '<span class="holds">✓ holds</span>' if c.holds else \
                '<span class="fails">✗ does not hold</span>'
            parts.append(f"<tr><td>{e(c.seed_says)}</td><td>{e(c.measured)}</td><td>{verdict}</td></tr>")
        parts.append("</table>")
    if result.output:
        parts.append("<h3>The seed's code, run on glassnet</h3><pre>" + e("\n".join(result.output))
                     + "</pre>")
    for heading, text in result.sections:
        parts.append(f"<h3>{e(heading)}</h3>{_p(text)}")
    if result.checks:
        parts.append("<h3>Checklist (each line with the number behind it)</h3><table><tr><th>check</th><th>status</th><th>value</th>"
                     "<th>meaning</th></tr>")
        parts += [f'<tr><td>{e(c.name)}</td><td class="{c.status}">{c.status}</td><td>{e(c.value)}</td>'
                  f"<td>{e(c.detail)}</td></tr>" for c in result.checks]
        parts.append("</table>")
    for table in result.tables:
        parts.append(f"<table><caption>{e(table.title)}</caption><tr>"
                     + "".join(f"<th>{e(str(c))}</th>" for c in table.columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in row) + "</tr>" for row in table.rows]
        parts.append("</table>" + (f'<p class="meta">{e(table.caption)}</p>' if table.caption else ""))
    for entry in result.figures:
        parts.append(f'<figure><img alt="{e(entry.caption)}" src="{to_data_uri(entry.figure)}">'
                     f"<figcaption>{e(entry.caption)}</figcaption></figure>")
    if "html" in result.documents:
        parts.append('<details open><summary><b>glassnet.explain: the step, number by number</b>'
                     f'</summary>{result.documents["html"]}</details>')
    parts.append("</section>")
    return "\n".join(parts)


def tour_html(results, seconds: float) -> str:
    e = html.escape
    broken = sum(not c.holds for r in results for c in r.claims)
    nav = "".join(f'<li><a href="#{e(r.name)}">{e(r.title)}</a></li>' for r in results)
    body = "\n".join(lesson_html(r) for r in results)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>glassnet tour</title>"
            f"<style>{CSS}</style></head><body><h1>glassnet: the seed lessons, measured</h1>"
            f"<p>Every lesson below runs the seed tutorials' code on glassnet and checks what the seeds "
            f"claim. {sum(len(r.claims) for r in results)} claims were checked; {broken} do not hold, and "
            f"each of those is explained where it occurs. Computed in {seconds:.0f} s.</p>"
            f"<nav><ul>{nav}</ul></nav>{body}</body></html>")


def run_tour(out="out/tour.html", names=None, console=None, **options) -> Path:
    """Run the lessons, write the HTML report to ``out`` and print a short summary."""
    from .. import lessons
    console = console or _console()
    names = names or lessons.names()
    unknown = [n for n in names if n not in lessons.names()]
    if unknown:
        raise ValueError(f"unknown lesson {unknown[0]!r}; the lessons are: {', '.join(lessons.names())}")
    start, results = time.perf_counter(), []
    for name in names:
        with console.status(f"running {name} ..."):
            result = lessons.run(name, **options.get(name, {}))
        results.append(result)
        broken = [c for c in result.claims if not c.holds]
        console.print(f"[bold]{name}[/] ({result.seconds:.1f} s): {result.summary}")
        for claim in broken:
            console.print(f"   [red]✗[/] seed: {claim.seed_says} → measured: {claim.measured}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(tour_html(results, time.perf_counter() - start), encoding="utf-8")
    console.print(f"\n[bold]Report:[/] {out.resolve()}  ({time.perf_counter() - start:.0f} s)", soft_wrap=True)
    return out
