"""A corpus of damaged and hostile checkpoint files: ``glassnet.load`` raises one clear
``ValueError`` for each, ``glassnet predict`` prints one line and exits 2, and no pickle payload
ever runs."""
import contextlib
import io
import json
import pickle
import random
import struct
import zipfile

import pytest

import glassnet
from glassnet import cli
from glassnet.serialization import save


def _file(header, data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _f32(shape, offsets):
    return {"dtype": "F32", "shape": shape, "data_offsets": offsets}


class _Payload:
    """Unpickling this creates the marker file: the proof that a pickle ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _pickles(marker) -> dict:
    evil = {"0.weight": _Payload(marker)}
    out = {f"pickle-protocol-{p}": pickle.dumps(evil, protocol=p) for p in range(6)}
    archive = io.BytesIO()  # the layout of torch.save's zip files, with the payload as data.pkl
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(evil, protocol=2))
        z.writestr("archive/version", "3\n")
    out["torch-save-zip"] = archive.getvalue()
    return out


def corpus(good: bytes, marker) -> dict:
    """name → bytes of a file that is not a valid checkpoint."""
    (size,) = struct.unpack("<Q", good[:8])
    cases = {}
    for cut in sorted({0, 1, 7, 8, 9, 8 + size // 2, 8 + size - 1, 8 + size, 8 + size + 1,
                       len(good) - 1}):
        cases[f"truncated-at-{cut}"] = good[:cut]
    rng = random.Random(0)
    for i in range(8):
        cases[f"random-{i}"] = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 400)))
    for bad in (0, 1, size - 1, len(good) - 7, 2 ** 32, 2 ** 63, 2 ** 64 - 1):
        cases[f"header-size-{bad}"] = struct.pack("<Q", bad) + good[8:]
    deep = 100_000
    cases.update({
        "nested-json-lists": _file(b"[" * deep + b"]" * deep),
        "nested-json-objects": _file(b'{"a":' * deep + b"1" + b"}" * deep),
        "nested-json-metadata": _file(b'{"__metadata__":' + b'{"a":' * deep + b'"x"' + b"}" * deep
                                      + b"}"),
        "header-is-a-list": _file([1, 2]),
        "header-is-a-string": _file("weights"),
        "header-not-utf8": _file(b'{"\xff\xfe": 1}'),
        "header-huge-integer": _file(b'{"a": ' + b"9" * 5000 + b"}"),
        "metadata-not-strings": _file({"__metadata__": {"a": 1}}),
        "metadata-a-list": _file({"__metadata__": ["a"]}),
        "entry-not-an-object": _file({"w": 5}),
        "unknown-dtype": _file({"w": {"dtype": "X99", "shape": [2], "data_offsets": [0, 8]}},
                               bytes(8)),
        "float8-dtype": _file({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}},
                              bytes(2)),
        "offsets-past-the-end": _file({"w": _f32([2], [0, 80])}, bytes(8)),
        "offsets-reversed": _file({"w": _f32([2], [8, 0])}, bytes(8)),
        "negative-shape": _file({"w": _f32([-2], [0, 8])}, bytes(8)),
        "shape-overflows": _file({"w": _f32([2 ** 40, 2 ** 40], [0, 8])}, bytes(8)),
        "shape-disagrees-with-bytes": _file({"w": _f32([3], [0, 8])}, bytes(8)),
        "overlapping-tensors": _file({"a": _f32([2], [0, 8]), "b": _f32([2], [0, 8])}, bytes(8)),
    })
    cases.update(_pickles(marker))
    return cases


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    glassnet.manual_seed(0)
    model = glassnet.nn.Sequential(glassnet.nn.Linear(2, 3), glassnet.nn.ReLU(),
                                   glassnet.nn.Linear(3, 1))
    good = folder / "good.safetensors"
    arch = {"in_features": 2, "hidden": [3], "activation": "relu", "out_features": 1,
            "loss": "bce-logits", "task": "binary", "classes": ["0", "1"], "mean": [0, 0],
            "std": [1, 1], "features": ["a", "b"], "target": "y", "data": "x.csv"}
    save(model.state_dict(), good, metadata={"glassnet.architecture": json.dumps(arch)})
    marker = folder / "PICKLE-RAN"
    paths = {}
    for name, data in corpus(good.read_bytes(), marker).items():
        paths[name] = folder / f"{name}.safetensors"
        paths[name].write_bytes(data)
    csv = folder / "x.csv"
    csv.write_text("a,b,y\n0,1,0\n1,0,1\n")
    return {"good": good, "paths": paths, "marker": marker, "csv": csv}


def test_the_corpus_is_big_enough_to_mean_something(files):
    assert len(files["paths"]) >= 45


def test_the_intact_file_loads(files, capsys):
    assert sorted(glassnet.load(files["good"])) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert cli.main(["predict", "--model", str(files["good"]), "--data", str(files["csv"])]) == 0


def test_glassnet_load_raises_a_clear_value_error_for_every_file(files):
    wrong = {}
    for name, path in files["paths"].items():
        try:
            glassnet.load(path)
            wrong[name] = "loaded"
        except ValueError as error:
            message = str(error)
            if "\n" in message or str(path.name) not in message and "glassnet.load" not in message:
                wrong[name] = message
        except BaseException as error:  # noqa: BLE001 - the finding
            wrong[name] = f"{type(error).__name__}: {error}"[:200]
    assert wrong == {}
    assert not files["marker"].exists(), "a pickle payload ran"


def test_glassnet_load_from_a_file_object_too(files):
    for name in ("nested-json-lists", "pickle-protocol-5", "header-size-18446744073709551615"):
        with pytest.raises(ValueError):
            glassnet.load(io.BytesIO(files["paths"][name].read_bytes()))
    assert not files["marker"].exists()


def test_predict_prints_one_line_and_exits_2_for_every_file(files):
    wrong = {}
    for name, path in files["paths"].items():
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli.main(["predict", "--model", str(path), "--data", str(files["csv"])])
            except BaseException as error:  # noqa: BLE001 - the finding
                code = f"{type(error).__name__}: {error}"[:200]
        lines = err.getvalue().strip().splitlines()
        if code != 2 or len(lines) != 1 or not lines[0].startswith("glassnet: error: --model"):
            wrong[name] = (code, err.getvalue()[:200])
    assert wrong == {}
    assert not files["marker"].exists(), "a pickle payload ran"


def test_the_marker_payload_really_would_run_if_unpickled(files, tmp_path):
    """The pickle files are live: unpickling one (which glassnet never does) creates the marker."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()
