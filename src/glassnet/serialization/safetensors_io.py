"""Save and load state dicts in the safetensors format (never pickle).

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's
name, dtype, shape and byte range, plus a ``__metadata__`` dict of strings), then the raw bytes
of the tensors.  Loading it runs no code, so a downloaded checkpoint cannot execute anything.

glassnet models name their parameters as PyTorch does (``0.weight``, ``fc1.bias``), so a file
written here loads into PyTorch with ``safetensors.torch.load_file`` + ``load_state_dict``, and a
file written by ``safetensors.torch.save_file(model.state_dict(), path)`` loads here.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import struct
from collections.abc import Mapping

import numpy as np

from ..tensors.creation import from_numpy
from ..tensors.tensor import Tensor, tensor

__all__ = ["save", "load"]

# File dtypes (safetensors names) that glassnet keeps as they are.
_KEPT = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_}
# File dtypes glassnet has no tensor type for, and the NumPy type they are read as (then widened:
# float16/bfloat16 → float32, small or unsigned integers → int64).
_WIDENED = {"F16": np.float16, "BF16": np.uint16, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
            "U16": np.uint16, "U32": np.uint32, "U64": np.uint64}
_CHUNK = 1 << 20  # bytes written per call while saving


def _arrays_to_save(obj) -> dict:
    """Check that ``obj`` is a flat dict of name → Tensor and return name → contiguous array."""
    if not isinstance(obj, Mapping):
        hint = (" Save model.state_dict() instead of the model itself." if hasattr(obj, "state_dict")
                else "")
        raise TypeError(f"glassnet.save writes a dict of name → Tensor (such as model.state_dict()) in "
                        f"the safetensors format; got a {type(obj).__name__}.{hint}")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"glassnet.save: every key must be a string (a tensor name such as "
                            f"'layer1.weight'); got the key {name!r} of type {type(name).__name__}")
        if not isinstance(value, Tensor):
            raise TypeError(f"glassnet.save: the value for {name!r} is a {type(value).__name__}, not a "
                            f"Tensor. The safetensors format holds only tensors under flat names (a "
                            f"model's state_dict()); nested dicts, lists and numbers, such as an "
                            f"optimizer's state_dict(), cannot be saved in it. Save the tensors under "
                            f"flat names, or keep the hyper-parameters in your code.")
        array = value.detach().array
        if array.dtype == object:
            raise TypeError(f"glassnet.save: {name!r} is an exact (Fraction) tensor, which the "
                            f"safetensors format cannot store; convert it to float64 first: "
                            f"t.to(glassnet.float64)")
        array = np.asarray(array)
        # the serializer reads raw memory, so transposed views are copied into C order
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _write_all(f, data: bytes) -> None:
    """Write ``data`` to the open file ``f`` in chunks."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])


_TMP_TAG = "glassnet-save"  # temporaries are named .<target>.glassnet-save-<pid>-<random>.tmp


def _tmp_stem(path: str) -> str:
    """The target's name as it appears in its temporaries (hashed when very long, so the
    temporary's name stays under the usual 255-byte limit)."""
    name = os.path.basename(path)
    if len(name.encode()) > 150:
        import hashlib
        name = hashlib.sha1(name.encode()).hexdigest()[:16]
    return name


def _pid_alive(pid: int) -> bool:
    """Is process ``pid`` running on this machine?  (Unsure counts as alive.)"""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def _remove_stale_temporaries(path: str) -> None:
    """Delete temporaries left beside ``path`` by earlier saves of ``path`` whose process died
    (``kill -9`` or a power cut between writing and renaming).

    Only names of the exact form ``_write_atomically`` gives for this target are touched, and
    only when the process id they carry no longer exists, so a save running in parallel (in
    this process or another) keeps its temporary.
    """
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(r"\." + re.escape(_tmp_stem(path)) + r"\." + _TMP_TAG
                         + r"-([0-9]{1,10})-[0-9a-f]{12}\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _pid_alive(int(match.group(1))):
            try:
                os.remove(os.path.join(folder, name))
            except OSError:
                pass


def _write_atomically(path, data: bytes) -> None:
    """Write a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    ``os.replace`` is atomic, so a reader (or a crash) sees either the old file or the complete
    new one, never a half-written file.  The temporary's name carries the target's name and this
    process's id; a later save of the same target removes temporaries whose process is gone.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    _remove_stale_temporaries(path)
    tmp = os.path.join(folder, f".{_tmp_stem(path)}.{_TMP_TAG}-{os.getpid()}-"
                               f"{secrets.token_hex(6)}.tmp")
    f = open(tmp, "xb")  # "x": never clobber another file; permissions follow the umask
    try:
        with f:
            _write_all(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable (POSIX); not possible on every platform
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def save(state_dict, path, metadata=None) -> None:
    """Save a dict of name → Tensor to ``path`` in the safetensors format.

    Parameters
    ----------
    state_dict : dict of str → Tensor
        Typically ``model.state_dict()``.  Gradients and graph history are not saved, only values.
    path : str, os.PathLike or binary file object
        Where to write.  A path is written atomically: to a temporary file in the same folder,
        flushed to disk, then renamed over ``path``, so an interrupted save leaves any earlier
        file intact.
    metadata : dict of str → str, optional
        Extra text stored in the header; ``{"format": "pt"}`` is always included so PyTorch's
        safetensors tooling accepts the file.

    Raises
    ------
    TypeError
        If ``state_dict`` is not a dict of name → Tensor (e.g. an optimizer's state dict, which
        nests dicts and lists), or holds an exact (Fraction) tensor.

    Examples
    --------
    >>> glassnet.save(model.state_dict(), "model.safetensors")
    >>> model.load_state_dict(glassnet.load("model.safetensors"))
    """
    arrays = _arrays_to_save(state_dict)
    header = {"format": "pt", "glassnet.order": json.dumps(list(arrays))}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"glassnet.save: metadata must map strings to strings; got {key!r}: "
                            f"{value!r}")
        header[key] = value
    from safetensors.numpy import save as to_bytes
    data = to_bytes(arrays, metadata=header)
    if hasattr(path, "write"):
        _write_all(path, data)
    else:
        _write_atomically(path, data)


def _header(data: bytes, source: str) -> dict:
    """The JSON header of a safetensors file, or a ValueError saying the file is not one."""
    hint = (f"{source} is not a safetensors file. glassnet.load reads files written by glassnet.save "
            f"or safetensors' save_file; a pickled torch.save checkpoint can be converted in PyTorch "
            f"with safetensors.torch.save_file(torch.load(path), new_path).")
    if len(data) < 8:
        raise ValueError(hint)
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ValueError(hint)
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: deeply nested JSON
        raise ValueError(hint) from None
    if not isinstance(header, dict):
        raise ValueError(hint)
    return header


def _to_array(name: str, dtype: str, shape, raw) -> np.ndarray:
    """The bytes of one tensor as a NumPy array of a dtype glassnet has."""
    if dtype in _KEPT:
        return np.frombuffer(raw, dtype=np.dtype(_KEPT[dtype]).newbyteorder("<")).reshape(shape).astype(
            _KEPT[dtype], copy=True)
    if dtype not in _WIDENED:
        raise ValueError(f"glassnet.load: {name!r} has dtype {dtype}, which glassnet cannot hold; "
                         f"convert it to float32 or float64 before saving")
    values = np.frombuffer(raw, dtype=np.dtype(_WIDENED[dtype]).newbyteorder("<")).reshape(shape)
    if dtype == "BF16":  # bfloat16 is the top half of a float32's bits
        return (values.astype(np.uint32) << 16).view(np.float32)
    if dtype == "F16":
        return values.astype(np.float32)
    if dtype == "U64" and values.size and values.max() > np.iinfo(np.int64).max:
        raise ValueError(f"glassnet.load: {name!r} holds uint64 values too large for int64")
    return values.astype(np.int64)


def load(path) -> dict:
    """Load a safetensors file as a dict of name → Tensor.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        A file written by ``glassnet.save`` or by ``safetensors.torch.save_file``.

    Returns
    -------
    dict of str → Tensor
        In the order the tensors were saved by glassnet (for other files, the file's order).
        float32, float64, int64, int32 and bool keep their dtype; float16 and bfloat16 become
        float32 and other integer types int64 (glassnet has no smaller types).

    Raises
    ------
    ValueError
        If the file is not a safetensors file.
    """
    if hasattr(path, "read"):
        data, source = path.read(), repr(getattr(path, "name", "the file object"))
    else:
        with open(path, "rb") as f:
            data = f.read()
        source = repr(os.fspath(path))
    header = _header(data, source)
    import safetensors
    try:
        entries = dict(safetensors.deserialize(data))
    except Exception as error:  # safetensors' own SafetensorError: a damaged or truncated file
        raise ValueError(f"{source} is not a valid safetensors file ({error}); it may be truncated "
                         f"or damaged") from None
    meta = header.get("__metadata__") or {}
    order = [name for name in header if name != "__metadata__"]
    try:
        saved = json.loads(meta.get("glassnet.order", "null"))
    except ValueError:
        saved = None
    if isinstance(saved, list) and sorted(saved) == sorted(order):
        order = saved
    out = {}
    for name in order:
        entry = entries[name]
        array = _to_array(name, entry["dtype"], entry["shape"], entry["data"])
        out[name] = from_numpy(array) if array.ndim else tensor(array)
    return out
