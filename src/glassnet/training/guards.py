"""Checks at the edges of ``glassnet train`` and ``glassnet predict``, so nothing is half-written.

* ``check_outputs`` looks at every output path (``--save``, ``--plot``, ``-o``) *before* any
  training, so a bad one fails in a second instead of after the run (and after other outputs
  were replaced).
* ``check_architecture`` validates the architecture stored in a checkpoint's metadata against the
  tensors actually in the file, before a single layer is allocated: a tampered file gets one
  line naming the problem, not a ``KeyError``, an ``IndexError`` or a ``MemoryError``.
* ``write_text_atomically`` writes beside the target and renames it into place.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

ACTIVATIONS = ("relu", "tanh", "sigmoid")
LOSSES = ("bce-logits", "mse", "cross-entropy")
TASKS = ("binary", "multiclass", "regression")


# -- output paths --------------------------------------------------------------------------------

def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_folder_usable(folder: Path, flag: str, given) -> None:
    """``folder`` (or the nearest existing folder above it) can receive new files."""
    ancestor = _existing_ancestor(folder)
    if not ancestor.is_dir():
        raise ValueError(f"{flag} {given}: {str(ancestor)!r} is a file, so no folder can be made "
                         f"there; choose another path")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {given}: cannot write in {str(ancestor)!r} (permission denied); "
                         f"choose another path")


def check_output_file(path, flag: str) -> None:
    """A file will be written (or replaced) at ``path``: say now if it cannot be."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{flag} {path}: is a folder; give a file name, e.g. {p / 'model.safetensors'}"
                         if flag == "--save" else f"{flag} {path}: is a folder; give a file name")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{flag} {path}: the file is read-only; choose another path")
    _check_folder_usable(p.parent, flag, path)


def check_output_folder(path, flag: str) -> None:
    """Files will be written into the folder ``path`` (made if missing): say now if they cannot."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{flag} {path}: is a file; {flag} takes a folder to write figures into")
    _check_folder_usable(p, flag, path)


def check_outputs(spec) -> None:
    """Every output path of a ``glassnet train`` run, before training."""
    if spec.save:
        check_output_file(spec.save, "--save")
    if spec.plot:
        check_output_folder(spec.plot, "--plot")
    if spec.save and spec.plot and os.path.abspath(spec.save) == os.path.abspath(spec.plot):
        raise ValueError(f"--save and --plot are the same path ({spec.save}); --plot is a folder")


def write_text_atomically(path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- architecture metadata -----------------------------------------------------------------------

def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _numbers(value, n: int, positive: bool = False) -> bool:
    return (isinstance(value, list) and len(value) == n
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    and (v > 0 or not positive) for v in value))


def _strings(value, n: int | None = None) -> bool:
    return (isinstance(value, list) and all(isinstance(v, str) for v in value)
            and (n is None or len(value) == n))


def expected_shapes(arch: dict) -> dict:
    """name → shape of the ``Sequential`` that ``build_model`` makes from ``arch``."""
    shapes, width, first = {}, arch["in_features"], 0
    if arch.get("image_shape") is not None:   # Unflatten, (Conv2d, activation, MaxPool2d)…, Flatten
        c, h, w = arch["image_shape"]
        for i, out_c in enumerate(arch["channels"]):
            shapes[f"{1 + 3 * i}.weight"] = [out_c, c, 3, 3]
            shapes[f"{1 + 3 * i}.bias"] = [out_c]
            c, h, w = out_c, h // 2, w // 2
        width, first = c * h * w, 2 + 3 * len(arch["channels"])
    sizes = list(arch["hidden"]) + [arch["out_features"]]
    for i, size in enumerate(sizes):
        shapes[f"{first + 2 * i}.weight"] = [size, width]
        shapes[f"{first + 2 * i}.bias"] = [size]
        width = size
    return shapes


def _check_image(arch: dict, bad: str) -> None:
    """A LeNet's ``model``, ``image_shape`` and ``channels`` (absent for an MLP)."""
    if arch.get("model", "mlp") == "mlp" and arch.get("image_shape") is None:
        return
    shape, channels = arch.get("image_shape"), arch.get("channels")
    if arch.get("model") != "lenet" or not isinstance(shape, list) or len(shape) != 3 \
            or not all(_positive_int(v) for v in shape) or not isinstance(channels, list) \
            or not all(_positive_int(v) for v in channels):
        raise ValueError(f"{bad}: a LeNet needs model 'lenet', image_shape [C, H, W] and a list of "
                         f"channels; got {arch.get('model')!r}, {shape!r} and {channels!r}")
    if shape[0] * shape[1] * shape[2] != arch["in_features"]:
        raise ValueError(f"{bad}: image_shape {shape} does not hold {arch['in_features']} features")
    if min(shape[1], shape[2]) >> len(channels) < 1:
        raise ValueError(f"{bad}: {len(channels)} pooling layers shrink a {shape[1]}×{shape[2]} "
                         f"image to nothing")


def check_architecture(arch, shapes: dict, path) -> dict:
    """``arch`` if it is a well-formed architecture matching the file's tensors ``shapes``
    (name → shape), else a ValueError naming the first problem."""
    bad = f"--model {path}: the architecture in its metadata is damaged"
    if not isinstance(arch, dict):
        raise ValueError(f"{bad} (not a JSON object); save models with glassnet train --save")
    needed = ("in_features", "hidden", "activation", "out_features", "loss", "task", "mean", "std")
    missing = [k for k in needed if k not in arch]
    if missing:
        raise ValueError(f"{bad}: no {missing[0]!r}; save models with glassnet train --save")
    if not _positive_int(arch["in_features"]) or not _positive_int(arch["out_features"]):
        raise ValueError(f"{bad}: in_features and out_features must be positive integers; got "
                         f"{arch['in_features']!r} and {arch['out_features']!r}")
    hidden = arch["hidden"]
    if not isinstance(hidden, list) or not all(_positive_int(h) for h in hidden):
        raise ValueError(f"{bad}: hidden must be a list of positive layer sizes; got {hidden!r}")
    for key, allowed in (("activation", ACTIVATIONS), ("loss", LOSSES), ("task", TASKS)):
        if arch[key] not in allowed:
            raise ValueError(f"{bad}: {key} must be one of {', '.join(allowed)}; got {arch[key]!r}")
    _check_image(arch, bad)
    n_in, n_out, task = arch["in_features"], arch["out_features"], arch["task"]
    if not _numbers(arch["mean"], n_in) or not _numbers(arch["std"], n_in, positive=True):
        raise ValueError(f"{bad}: mean and std must be {n_in} finite numbers each (std > 0)")
    features = arch.get("features")
    if features is not None and not _strings(features, n_in):
        raise ValueError(f"{bad}: features must be {n_in} column names; got {features!r}")
    if arch.get("target") is not None and not isinstance(arch["target"], str):
        raise ValueError(f"{bad}: target must be a column name; got {arch['target']!r}")
    classes = arch.get("classes")
    if task == "regression":
        if n_out != 1 or arch["loss"] != "mse":
            raise ValueError(f"{bad}: a regression has one output and the mse loss; got "
                             f"{n_out} outputs and {arch['loss']!r}")
    else:
        n_classes = 2 if task == "binary" else n_out
        if task == "binary" and n_out != (2 if arch["loss"] == "cross-entropy" else 1):
            raise ValueError(f"{bad}: a binary classifier with the {arch['loss']} loss cannot have "
                             f"{n_out} outputs")
        if not _strings(classes, n_classes):
            raise ValueError(f"{bad}: the {task} task with {n_out} output(s) needs {n_classes} "
                             f"class names; got {classes!r}")
    expected = expected_shapes(arch)
    extra = [name for name in shapes if name not in expected]
    absent = [name for name in expected if name not in shapes]
    wrong = [name for name in expected if name in shapes and list(shapes[name]) != expected[name]]
    if extra or absent or wrong:
        detail = (f"unexpected tensor {extra[0]!r}" if extra else f"no tensor {absent[0]!r}"
                  if absent else f"{wrong[0]!r} has shape {list(shapes[wrong[0]])} but the "
                                 f"architecture says {expected[wrong[0]]}")
        raise ValueError(f"--model {path}: its tensors do not match its architecture "
                         f"{'-'.join(map(str, [n_in, *hidden, n_out]))} ({detail}); the file was "
                         f"changed after glassnet train --save wrote it")
    return arch
