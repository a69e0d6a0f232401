"""Hypothesis-generated CSV files against ``glassnet train`` and ``glassnet predict``: every file
ends in exit 0 or exit 2 with one ``glassnet: error:`` line, never a traceback.

Bounded: a fixed number of examples, derandomized (the same files on every run, so CI cannot
flake), one training epoch of a tiny network each.
"""
import contextlib
import csv
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from glassnet import cli  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

numbers = st.one_of(st.integers(-5, 5), st.integers(-10 ** 40, 10 ** 40),
                    st.floats(allow_nan=True, allow_infinity=True, width=64))
cells = st.one_of(
    numbers.map(repr), numbers.map(str), st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e39",
                                                          "-1e400", "0x10", "1_000", "١٢", "True"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.sampled_from(["cat", "dog", "a;b", 'q"uote', "line\nbreak", "\x00", "\ufeff1"]))
names = st.one_of(st.sampled_from(["a", "b", "x1", "label", "y", "", "a", " a ", "ü", "a,b"]),
                  st.text(max_size=5))


nasty = st.sampled_from(["", "nan", "inf", "-1e400", "1e39", "abc", '"', "a;b", "\n", "9" * 200])


@st.composite
def clean_rows(draw, n_cols):
    """Rows of small numbers and a label column: files that train."""
    labels = draw(st.sampled_from([["0", "1"], ["cat", "dog", "eel"], ["1"], ["0.5", "2", "7"],
                                   [str(i) for i in range(40)]]))
    n_rows = draw(st.integers(0, 30))
    values = st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{v:.6g}")
    rows = [[draw(values) for _ in range(n_cols - 1)] + [labels[i % len(labels)]]
            for i in range(n_rows)]
    if rows and draw(st.booleans()):  # one mutation: a bad cell, a missing or an extra cell
        r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, n_cols - 1))
        kind = draw(st.sampled_from(["cell", "drop", "extra"]))
        if kind == "cell":
            rows[r][c] = draw(nasty)
        elif kind == "drop":
            del rows[r][c]
        else:
            rows[r].append("1")
    return rows


@st.composite
def csv_files(draw):
    """Bytes of a CSV-like file: well-formed or not, any delimiter, any cells."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=200))  # not text at all
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    n_cols = draw(st.integers(1, 5))
    if draw(st.integers(0, 2)):  # mostly clean files (with at most one mutation), so many train
        header = [f"x{i}" for i in range(n_cols - 1)] + ["label"]
        rows = draw(clean_rows(n_cols))
    else:
        header = draw(st.lists(names, min_size=n_cols, max_size=n_cols))
        rows = draw(st.lists(st.lists(cells, min_size=max(n_cols - 1, 0), max_size=n_cols + 1),
                             max_size=25))
    out = io.StringIO()
    if draw(st.booleans()):
        writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n",
                                                                                           "\r\n"])))
        writer.writerow(header)
        writer.writerows(rows)
    else:  # joined by hand: quotes and delimiters inside cells break the rows
        out.write("\n".join(delimiter.join(r) for r in [header] + rows))
    text = out.getvalue()
    if draw(st.integers(0, 14)) == 0:
        text += "\n" + "9" * 140_000  # a cell over the csv module's field limit
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])), errors="surrogatepass")


def _run(argv):
    """(exit status, stderr) of the glassnet command run in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main([str(a) for a in argv])
    return code, err.getvalue()


def _assert_clean(code, err, data):
    assert code in (0, 2), (code, err, data[:300])
    assert "Traceback" not in err, (err, data[:300])
    if code == 2:
        errors = [line for line in err.splitlines() if not line.startswith("glassnet: warning:")]
        assert len(errors) == 1 and errors[0].startswith("glassnet: error: "), (err, data[:300])


@SETTINGS
@given(data=csv_files(), task=st.sampled_from([None, "classification", "regression"]),
       delimiter=st.sampled_from([None, None, ",", ";"]))
def test_train_on_fuzzed_csv_exits_0_or_2(tmp_path, data, task, delimiter):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    argv = ["train", "--data", path, "--epochs", "1", "--hidden", "2", "-q"]
    argv += ["--task", task] if task else []
    argv += ["--delimiter", delimiter] if delimiter else []
    _assert_clean(*_run(argv), data)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-model")
    data = folder / "train.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 5},{i % 3},{'cat' if i % 2 else 'dog'}\n"
                                            for i in range(30)))
    path = folder / "m.safetensors"
    code, err = _run(["train", "--data", data, "--epochs", "1", "--save", path, "-q"])
    assert code == 0, err
    return path


@SETTINGS
@given(data=csv_files())
def test_predict_on_fuzzed_csv_exits_0_or_2(tmp_path, model, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    out = tmp_path / "pred.csv"
    code, err = _run(["predict", "--model", model, "--data", path, "-o", out])
    _assert_clean(code, err, data)
    if code == 2:
        assert not out.exists()  # nothing half-written


NASTY = {"huge-cell.csv": b"a,b,label\n1,2," + b"x" * 140_000 + b"\n",
         "binary.csv": bytes(range(256)),
         "semicolons.csv": b"x1;x2;label\n" + b"".join(b"%d;%d;%d\n" % (i, i % 3, i % 2)
                                                       for i in range(20))}


def test_the_command_in_a_fresh_process(tmp_path):
    """The real entry point in a fresh process (no test harness in between)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src") + os.pathsep + \
        env.get("PYTHONPATH", "")
    script = ("import sys; from glassnet.cli import main\n"
              "for path in sys.argv[1:]:\n"
              "    code = main(['train', '--data', path, '--epochs', '1', '-q'])\n"
              "    print('EXIT', code, path, flush=True)\n")
    paths = []
    for name, data in NASTY.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    done = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    codes = {line.split(" ", 2)[2]: line.split(" ", 2)[1] for line in done.stdout.splitlines()
             if line.startswith("EXIT ")}
    assert [codes[p] for p in paths] == ["2", "2", "0"], (done.stdout, done.stderr)
