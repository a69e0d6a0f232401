"""The ``glassnet`` command: lessons, training, prediction, the tour, explanations, the playground.

Thin by design: each command parses its options, calls library functions (imported inside the
command, so ``glassnet --help`` starts fast) and prints what they return.  Every user mistake
(a bad flag value, a missing CSV column, a malformed row) ends as one line on stderr starting
with ``glassnet: error:`` and exit status 2, never a traceback.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="glassnet: a see-through neural-network engine. Lessons, training, the tour.")


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


def _fail(message: str) -> None:
    raise UserError(message)


# -- lesson --------------------------------------------------------------------------------------

@app.command()
def lesson(name: Optional[str] = typer.Argument(None, help="Lesson to run (see --list)."),
           list_: bool = typer.Option(False, "--list", "-l", help="List the lessons and exit."),
           plot: Optional[Path] = typer.Option(None, "--plot", help="Write the figures (PNG and SVG) "
                                                                    "to this folder."),
           json_: bool = typer.Option(False, "--json", help="Print the result as JSON instead.")):
    """Run one of the seed lessons and print its numbers, tables and explanation."""
    from .. import lessons
    if list_ or name is None:
        from .show import print_lesson_list
        print_lesson_list()
        return
    if name not in lessons.names():
        _fail(f"unknown lesson {name!r}; the lessons are: {', '.join(lessons.names())}")
    result = lessons.run(name, figures=plot is not None)
    if json_:
        import json
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from .show import print_lesson
        print_lesson(result)
    if plot is not None:
        for path in result.save_figures(plot):
            typer.echo(f"wrote {path}")


# -- train and predict ---------------------------------------------------------------------------

# The options of the training recipe, shared by train, doctor --data and predict: one definition
# (flag, default, help) each; a command may put its own words before the help (``lead``).
_RECIPE_HELP = {
    "--data": "spiral, xor, circle, moons, gaussian, digits, iris, breast-cancer, wine, or a CSV file.",
    "--target": "CSV column to predict (default: the last column).",
    "--hidden": "Hidden layer sizes, e.g. --hidden 16 8 (or 16,8; 'none' for no hidden layer).",
    "--activation": "relu, tanh or sigmoid.",
    "--loss": "bce-logits, mse or cross-entropy.",
    "--optimizer": "sgd, adam, adamw or rmsprop.",
    "--lr": "Learning rate.",
    "--batch-size": "Samples per step (0: the whole training set).",
    "--seed": "glassnet.manual_seed for initialisation, split and shuffling.",
    "--test-size": "Held-out fraction, 0 to <1.",
    "--config": "Read options from a TOML file (flags given here win).",
    "--delimiter": "CSV cell separator, e.g. ';' or tab (default: detected).",
}


def _recipe_option(flag: str, default=None, lead: str = ""):
    """A fresh typer option for one flag of the training recipe (its help from ``_RECIPE_HELP``)."""
    return typer.Option(default, flag, help=lead + _RECIPE_HELP[flag])


def _resolve_spec(config: Optional[Path], **flags):
    """Flags (None: not given), the optional TOML file and this process's environment (read here,
    at the edge: torchrun's ranks) → a training ``Spec``."""
    import os

    from .. import training
    return training.resolve(flags, config, environ=os.environ)


def _data_warnings():
    """Show ``DataWarning``s (a guessed task, a detected delimiter) as one line each on stderr."""
    import contextlib
    import warnings
    from ..training.task import DataWarning

    @contextlib.contextmanager
    def shown():
        with warnings.catch_warnings():
            default = warnings.showwarning
            warnings.simplefilter("always", DataWarning)

            def show(message, category, *args, **kwargs):
                if issubclass(category, DataWarning):
                    typer.echo(f"glassnet: warning: {' '.join(str(message).split())}", err=True)
                else:
                    default(message, category, *args, **kwargs)
            warnings.showwarning = show
            yield
    return shown()


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def train(data: Optional[str] = _recipe_option("--data"),
          model: Optional[str] = typer.Option(None, "--model", help="mlp (default: Linear layers) "
                                              "or lenet (two Conv2d 3×3 + MaxPool2d blocks, 6 and 16 "
                                              "channels, then the --hidden layers; image data: "
                                              "digits, as 1×8×8)."),
          target: Optional[str] = _recipe_option("--target"),
          hidden: Optional[str] = _recipe_option("--hidden"),
          activation: Optional[str] = _recipe_option("--activation"),
          loss: Optional[str] = _recipe_option("--loss"),
          optimizer: Optional[str] = _recipe_option("--optimizer"),
          lr: Optional[float] = _recipe_option("--lr"),
          epochs: Optional[int] = typer.Option(None, "--epochs", help="Passes over the training data."),
          batch_size: Optional[int] = _recipe_option("--batch-size"),
          seed: Optional[int] = _recipe_option("--seed"),
          test_size: Optional[float] = _recipe_option("--test-size"),
          save: Optional[Path] = typer.Option(None, "--save", help="Write the trained model here "
                                              "(safetensors, architecture in its metadata)."),
          plot: Optional[Path] = typer.Option(None, "--plot", help="Write figures to this folder."),
          trace: Optional[Path] = typer.Option(None, "--trace", help="Follow the run with glassnet.explain."
                                               "trace and write its plots and JSON to this folder."),
          config: Optional[Path] = _recipe_option("--config"),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
          engine: Optional[str] = typer.Option(None, "--engine", help="glassnet (default) or torch "
                                               "(PyTorch, same data, weights and report)."),
          nproc: Optional[int] = typer.Option(None, "--nproc", help="Processes on this machine: "
                                              "DistributedDataParallel over torch.distributed."),
          nnodes: Optional[int] = typer.Option(None, "--nnodes", help="Machines taking part "
                                               "(run the same command on each)."),
          rdzv_endpoint: Optional[str] = typer.Option(None, "--rdzv-endpoint", help="HOST:PORT "
                                                      "where the machines meet (with --nnodes)."),
          task: Optional[str] = typer.Option(None, "--task", help="classification or regression "
                                             "(default: inferred from the target column)."),
          delimiter: Optional[str] = _recipe_option("--delimiter")):
    """Train a multilayer perceptron (or, --model lenet, a small CNN on digits) on a built-in data
    set or a CSV file."""
    from .. import training
    try:
        spec = _resolve_spec(config, data=data, model=model, target=target, hidden=hidden,
                             activation=activation,
                             loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                             batch_size=batch_size, seed=seed, test_size=test_size, save=save,
                             plot=plot, engine=engine, nproc=nproc, nnodes=nnodes,
                             rdzv_endpoint=rdzv_endpoint, task=task, delimiter=delimiter)
        with _data_warnings():
            run = training.fit(spec, progress=not quiet, trace=trace)
    except (ValueError, TypeError, OSError) as error:
        _fail(str(error))
    except training.TrainingError as error:  # e.g. a distributed worker died: not a usage error
        typer.echo(f"glassnet: error: {error}", err=True)
        raise typer.Exit(1) from None
    if run is None:  # a torchrun worker other than rank 0: rank 0 reports
        return
    from .show import print_training
    print_training(run)


@app.command()
def predict(model: Path = typer.Option(..., "--model", help="A file written by glassnet train --save."),
            data: str = _recipe_option("--data", ...),
            target: Optional[str] = typer.Option(None, "--target", help="CSV column with the answers, "
                                                 "if present (default: the one used in training)."),
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write predictions "
                                                  "to this CSV file."),
            show: int = typer.Option(10, "--show", help="Predictions to print (0: none)."),
            delimiter: Optional[str] = _recipe_option("--delimiter")):
    """Rebuild a saved model from its metadata and predict on a data set or CSV file."""
    from .. import training
    try:
        if output is not None:  # a bad -o path fails before any work
            from ..training.guards import check_output_file
            check_output_file(output, "--output")
        with _data_warnings():
            result = training.predict(model, data, target, delimiter)
        if output is not None:
            training.write_predictions(result, output)
    except (ValueError, TypeError, OSError) as error:
        _fail(str(error))
    from .show import print_predictions
    print_predictions(result, show, output)


# -- tour, explain, playground -------------------------------------------------------------------

@app.command()
def tour(out: Path = typer.Option(Path("out/tour.html"), "--out", help="Where to write the report."),
         only: Optional[str] = typer.Option(None, "--only", help="Comma-separated lessons to include.")):
    """Run every lesson and write one self-contained HTML report."""
    from .show import run_tour
    names = None if only is None else [n.strip() for n in only.split(",") if n.strip()]
    try:
        run_tour(out, names)
    except ValueError as error:
        _fail(str(error))


@app.command()
def explain(example: str = typer.Argument("diagonal-flip", help="The worked example to explain."),
            fmt: str = typer.Option("text", "--format", "-f", help="text, markdown, latex, html or json."),
            exact: bool = typer.Option(False, "--exact/--float32", help="Exact fractions or float32."),
            entry: Optional[str] = typer.Option(None, "--entry", help="Explain one number, e.g. "
                                                "layer1.weight[2, 0]."),
            model: Optional[Path] = typer.Option(None, "--model", help="Explain a step of this saved "
                                                 "model (glassnet train --save) instead."),
            data: Optional[str] = typer.Option(None, "--data", help="With --model: a built-in data "
                                               "set or a CSV file with the answers."),
            target: Optional[str] = typer.Option(None, "--target", help="With --model: the CSV's "
                                                 "answer column (default: the one used in training)."),
            rows: int = typer.Option(1, "--rows", help="With --model: samples in the step."),
            lr: float = typer.Option(0.1, "--lr", help="With --model: the SGD learning rate."),
            engine: str = typer.Option("glassnet", "--engine", help="With --model: record the step "
                                       "in glassnet or in torch (through torch's hooks).")):
    """Record one training step of a worked example (or of a saved model) and explain every number."""
    formats = ("text", "markdown", "latex", "html", "json")
    if fmt not in formats:
        _fail(f"--format must be one of {', '.join(formats)}; got {fmt!r}")
    from ..lessons.examples import explain_text
    if model is not None or data is not None:
        if model is None or data is None:
            _fail("--model and --data go together: glassnet explain --model M.safetensors --data DATA")
        from ..explain import render
        from ..training.explain_step import default_entries, record_step
        try:
            step = record_step(model, data, target, rows, lr, engine)
            typer.echo(render(step, fmt, [entry] if entry else default_entries(step)))
        except KeyError as error:
            _fail(str(error.args[0]) if error.args else "unknown entry")
        except (ValueError, TypeError, OSError, IndexError) as error:
            _fail(str(error))
        return
    try:
        text = explain_text(example, fmt, exact, entry)
    except KeyError as error:
        _fail(str(error.args[0]) if error.args else "unknown entry")
    except ValueError as error:
        _fail(str(error))
    typer.echo(text)


@app.command()
def playground(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
               port: int = typer.Option(8000, "--port", help="Port to listen on."),
               open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab (off by default)."),
               workers: int = typer.Option(1, "--workers", help="Processes serving tabs (a classroom: one per core).")):
    """Start the interactive playground in the browser."""
    if not 0 < port < 65536:
        _fail(f"--port must be between 1 and 65535; got {port}")
    if not 1 <= workers <= 64:
        _fail(f"--workers must be between 1 and 64; got {workers}")
    from .. import playground
    from ..playground.server import ServeError
    try:
        if workers == 1:
            playground.serve(host, port, open_browser)
        else:
            playground.serve(host, port, open_browser, workers)
    except ServeError as error:
        _fail(str(error))


# -- doctor --------------------------------------------------------------------------------------

@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def doctor(script: Optional[Path] = typer.Argument(None, help="A PyTorch or glassnet training script "
                                                   "to run unmodified and diagnose."),
           steps: str = typer.Option("200", "--steps", help="Training steps (optimizer steps, or "
                                     "backward() calls without an optimizer) to observe before "
                                     "stopping the script (or the training run); 'all': the whole "
                                     "script, sampled every 5th step after the first 20."),
           fmt: str = typer.Option("text", "--format", "-f", help="text, markdown, html or json."),
           probe: Optional[bool] = typer.Option(None, "--probe/--no-probe", help="Also train a fresh "
                                                "copy on 16 examples (overfit-one-batch). Default: on "
                                                "with --data, off for scripts."),
           threshold: Optional[list[str]] = typer.Option(None, "--threshold", help="Change a "
                                                         "threshold, e.g. --threshold dead_fraction=0.8."),
           script_args: str = typer.Option("", "--args", help="Arguments passed to the script."),
           threads: Optional[int] = typer.Option(None, "--threads", help="torch threads for the script."),
           data: Optional[str] = _recipe_option("--data", lead="Diagnose the glassnet train recipe "
                                                "(instead of a script) on this data set: "),
           target: Optional[str] = _recipe_option("--target"),
           hidden: Optional[str] = _recipe_option("--hidden"),
           activation: Optional[str] = _recipe_option("--activation"),
           loss: Optional[str] = _recipe_option("--loss"),
           optimizer: Optional[str] = _recipe_option("--optimizer"),
           lr: Optional[float] = _recipe_option("--lr"),
           batch_size: Optional[int] = _recipe_option("--batch-size"),
           seed: Optional[int] = _recipe_option("--seed"),
           test_size: Optional[float] = _recipe_option("--test-size"),
           config: Optional[Path] = _recipe_option("--config")):
    """Diagnose a training run: seed 003's debugging checklist, automatic, with the numbers.

    Exit status 1 when an error was found, 0 otherwise."""
    from .. import doctor as doc
    if fmt not in ("text", "markdown", "html", "json"):
        _fail(f"--format must be one of text, markdown, html, json; got {fmt!r}")
    if (script is None) == (data is None and config is None):
        _fail("give either a SCRIPT.py to run or --data (the options of glassnet train), not both")
    try:
        th = doc.Thresholds.parse(threshold)
        if steps.strip().lower() == "all":
            if script is None:
                raise ValueError("--steps all is for scripts; give --data a number of steps")
            n_steps = None
        elif steps.strip().isdigit():
            n_steps = int(steps)
        else:
            raise ValueError(f"--steps takes a number or 'all'; got {steps!r}")
        if script is not None:
            import shlex
            report = doc.diagnose_script(script, n_steps, shlex.split(script_args), bool(probe), th,
                                         threads)
        else:
            spec = _resolve_spec(config, data=data, target=target, hidden=hidden,
                                 activation=activation, loss=loss, optimizer=optimizer, lr=lr,
                                 batch_size=batch_size, seed=seed, test_size=test_size)
            report = doc.diagnose_spec(spec, n_steps, probe is not False, th)
        text = report.render(fmt)
    except (ValueError, TypeError, OSError) as error:
        _fail(str(error))
    if fmt == "text":
        report.print()
    else:
        typer.echo(text)
    return report.exit_code


# -- entry point ---------------------------------------------------------------------------------

_HIDDEN_SIZES = re.compile(r"^[0-9]+(,[0-9]+)*,?$")


def _join_hidden(argv: list[str]) -> list[str]:
    """``--hidden 16 8`` → ``--hidden 16,8`` (click options take one value each)."""
    out, i = [], 0
    while i < len(argv):
        out.append(argv[i])
        if argv[i] == "--hidden":
            sizes = []
            while i + 1 < len(argv) and _HIDDEN_SIZES.match(argv[i + 1]):
                i += 1
                sizes.append(argv[i].strip(","))
            if sizes:
                out.append(",".join(sizes))
        i += 1
    return out


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failure, 2 usage error)."""
    argv = _join_hidden(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="glassnet", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except UserError as error:
        typer.echo(f"glassnet: error: {' '.join(str(error).split())}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("glassnet: interrupted", err=True)
        return 130
    except Exception as error:
        # click's exceptions (typer ships its own copy of click, so match by shape, not class)
        if type(error).__name__ == "NoArgsIsHelpError":
            typer.echo(error.ctx.get_help())
            return 0
        if hasattr(error, "format_message") and isinstance(getattr(error, "exit_code", None), int):
            typer.echo(f"glassnet: error: {' '.join(error.format_message().split())}", err=True)
            return error.exit_code
        if type(error).__name__ == "Abort":
            typer.echo("glassnet: aborted", err=True)
            return 1
        raise


def run() -> None:
    """Console-script entry point (``glassnet = glassnet.cli:run``-style); exits with main()'s status."""
    raise SystemExit(main())
