"""glassnet.save / glassnet.load: safetensors files, atomic writes, and PyTorch interchange."""
import io
import os
from fractions import Fraction

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.serialization import safetensors_io as serialization


def _state_dict():
    """Named like a torch model's state_dict: layer1 (4 → 3), layer2 (3 → 1), plus odd dtypes."""
    g = glassnet.Generator().manual_seed(0)
    return {
        "layer1.weight": glassnet.randn(3, 4, generator=g),
        "layer1.bias": glassnet.randn(3, generator=g),
        "layer2.weight": glassnet.randn(1, 3, generator=g),
        "layer2.bias": glassnet.randn(1, generator=g),
        "bn.num_batches_tracked": glassnet.tensor(7),
        "double": glassnet.randn(2, 2, dtype=glassnet.float64, generator=g),
        "int32": glassnet.tensor(np.array([1, -2], dtype=np.int32)),
        "mask": glassnet.tensor([True, False, True]),
    }


def _assert_same(loaded, original):
    assert list(loaded) == list(original)
    for name, t in original.items():
        assert loaded[name].dtype == t.dtype, name
        assert tuple(loaded[name].shape) == tuple(t.shape), name
        np.testing.assert_array_equal(np.asarray(loaded[name].array), np.asarray(t.array))


# -- glassnet → glassnet -------------------------------------------------------------------------

def test_round_trip_keeps_names_order_shapes_dtypes_and_values(tmp_path):
    sd = _state_dict()
    glassnet.save(sd, tmp_path / "model.safetensors")
    _assert_same(glassnet.load(tmp_path / "model.safetensors"), sd)


def test_serialization_module_functions_are_what_glassnet_save_and_load_call(tmp_path):
    sd = _state_dict()
    serialization.save(sd, str(tmp_path / "m.safetensors"))
    _assert_same(serialization.load(str(tmp_path / "m.safetensors")), sd)


def test_loaded_tensors_are_fresh_writable_leaves(tmp_path):
    w = glassnet.randn(2, 3, requires_grad=True)
    (w * 2).sum().backward()
    glassnet.save({"w": w}, tmp_path / "w.safetensors")
    loaded = glassnet.load(tmp_path / "w.safetensors")["w"]
    assert loaded.is_leaf and not loaded.requires_grad and loaded.grad is None
    loaded.add_(1.0)
    np.testing.assert_allclose(loaded.numpy(), w.detach().numpy() + 1.0)


def test_transposed_views_are_saved_as_their_values(tmp_path):
    a = glassnet.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    glassnet.save({"t": a.T}, tmp_path / "t.safetensors")
    assert glassnet.load(tmp_path / "t.safetensors")["t"].tolist() == [[0, 3], [1, 4], [2, 5]]


def test_file_objects_round_trip():
    buffer = io.BytesIO()
    glassnet.save(_state_dict(), buffer)
    buffer.seek(0)
    _assert_same(glassnet.load(buffer), _state_dict())


def test_header_carries_torch_format_metadata_and_user_metadata(tmp_path):
    from safetensors import safe_open
    path = tmp_path / "m.safetensors"
    serialization.save(_state_dict(), path, metadata={"epoch": "3"})  # glassnet.save takes no metadata
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
    assert meta["format"] == "pt" and meta["epoch"] == "3"


# -- atomic writes ----------------------------------------------------------------------------------

def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_crash_midway_through_the_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    old = {"w": glassnet.ones(4)}
    glassnet.save(old, path)

    def write_half_then_crash(f, data):
        f.write(data[: len(data) // 2])
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write_all", write_half_then_crash)
    with pytest.raises(OSError, match="simulated"):
        glassnet.save({"w": glassnet.zeros(1000)}, path)
    assert glassnet.load(path)["w"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert _leftovers(tmp_path) == []


def test_failed_rename_leaves_no_file_when_there_was_none(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError("rename failed (simulated)")

    monkeypatch.setattr(serialization.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        glassnet.save({"w": glassnet.ones(2)}, tmp_path / "new.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_overwrites_an_existing_file_and_keeps_its_folder_clean(tmp_path):
    path = tmp_path / "m.safetensors"
    glassnet.save({"w": glassnet.ones(2)}, path)
    glassnet.save({"w": glassnet.zeros(3)}, path)
    assert glassnet.load(path)["w"].tolist() == [0.0, 0.0, 0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


# -- errors ----------------------------------------------------------------------------------------

def test_loading_a_file_that_is_not_safetensors_says_so(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, these are not tensors")
    with pytest.raises(ValueError, match="is not a safetensors file"):
        glassnet.load(text)
    tiny = tmp_path / "tiny.bin"
    tiny.write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="is not a safetensors file"):
        glassnet.load(tiny)


def test_loading_a_truncated_file_says_it_is_damaged(tmp_path):
    path = tmp_path / "m.safetensors"
    glassnet.save(_state_dict(), path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated or damaged"):
        glassnet.load(path)


def test_optimizer_style_nested_state_is_refused_saying_what_can_be_saved(tmp_path):
    # serialization.save writes flat state dicts only; glassnet.save hands nested checkpoint dicts
    # to glassnet.checkpoint instead (tests/compat/test_checkpoint.py)
    from glassnet.serialization import save
    state = {"state": {0: {"momentum_buffer": glassnet.zeros(2)}}, "param_groups": [{"lr": 0.1}]}
    with pytest.raises(TypeError, match=r"'state' is a dict, not a Tensor.*only tensors under flat names"):
        save(state, tmp_path / "opt.safetensors")
    assert not (tmp_path / "opt.safetensors").exists()
    with pytest.raises(TypeError, match="'lr' is a float"):
        save({"lr": 0.1}, tmp_path / "x.safetensors")


def test_exact_tensors_are_refused_with_the_conversion_to_use(tmp_path):
    exact = glassnet.tensor([Fraction(1, 3)], dtype=glassnet.exact)
    with pytest.raises(TypeError, match=r"exact.*float64"):
        glassnet.save({"w": exact}, tmp_path / "e.safetensors")
    glassnet.save({"w": exact.to(glassnet.float64)}, tmp_path / "e.safetensors")
    assert glassnet.load(tmp_path / "e.safetensors")["w"].item() == pytest.approx(1 / 3, rel=1e-15)


def test_saving_a_model_instead_of_its_state_dict_suggests_state_dict(tmp_path):
    class Model:
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match=r"model.state_dict\(\)"):
        glassnet.save(Model(), tmp_path / "m.safetensors")
    from glassnet.serialization import save
    with pytest.raises(TypeError, match="key must be a string"):
        save({0: glassnet.ones(1)}, tmp_path / "m.safetensors")
    glassnet.save({0: glassnet.ones(1)}, tmp_path / "m.safetensors")  # a checkpoint dict: keys keep type
    assert list(glassnet.load(tmp_path / "m.safetensors")) == [0]


# -- PyTorch interchange ----------------------------------------------------------------------------

def _torch_model(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1),
                               torch.nn.BatchNorm1d(1))


def test_file_saved_from_torch_loads_into_glassnet_with_equal_values(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
    from safetensors.torch import save_file
    model = _torch_model(torch)
    path = tmp_path / "torch.safetensors"
    save_file(model.state_dict(), str(path))
    loaded = glassnet.load(path)
    expected = model.state_dict()
    assert set(loaded) == set(expected)
    for name, t in expected.items():
        assert str(loaded[name].dtype).split(".")[-1] == str(t.dtype).split(".")[-1], name
        np.testing.assert_array_equal(np.asarray(loaded[name].array), t.numpy())


def test_glassnet_file_loads_into_a_torch_model_with_load_state_dict(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
    from safetensors.torch import load_file
    model = _torch_model(torch)
    g = glassnet.Generator().manual_seed(1)
    ours = {name: glassnet.randn(*t.shape, generator=g) if t.is_floating_point()
            else glassnet.tensor(int(t.item()) + 5)
            for name, t in model.state_dict().items()}
    path = tmp_path / "glassnet.safetensors"
    glassnet.save(ours, path)
    model.load_state_dict(load_file(str(path)))  # strict: same keys and shapes
    for name, t in model.state_dict().items():
        np.testing.assert_array_equal(t.numpy(), np.asarray(ours[name].array))


def test_torch_half_precision_tensors_load_as_float32(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
    from safetensors.torch import save_file
    values = torch.tensor([1.5, -2.25, 3.0e-3, 65504.0])
    save_file({"bf16": values.bfloat16(), "f16": values.half(), "u8": torch.tensor([0, 255], dtype=torch.uint8)},
              str(tmp_path / "half.safetensors"))
    loaded = glassnet.load(tmp_path / "half.safetensors")
    assert loaded["bf16"].dtype == loaded["f16"].dtype == glassnet.float32
    np.testing.assert_array_equal(loaded["bf16"].numpy(), values.bfloat16().float().numpy())
    np.testing.assert_array_equal(loaded["f16"].numpy(), values.half().float().numpy())
    assert loaded["u8"].dtype == glassnet.int64 and loaded["u8"].tolist() == [0, 255]


def test_real_glassnet_model_round_trips_through_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
    from safetensors.torch import load_file, save_file
    glassnet.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    glassnet.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(str(tmp_path / "ours.safetensors")))
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(glassnet.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    torch.nn.init.constant_(theirs[0].weight, 0.5)
    save_file(theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    ours.load_state_dict(glassnet.load(tmp_path / "theirs.safetensors"))
    np.testing.assert_array_equal(ours.state_dict()["0.weight"].numpy(), np.full((3, 4), 0.5, np.float32))


# -- temporaries left by a killed save, corrupt headers (issue 9) ------------------------------------

def _dead_pid():
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_save_removes_temporaries_of_the_same_target_whose_process_is_gone(tmp_path):
    path = tmp_path / "model.safetensors"
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".model.safetensors.glassnet-save-{dead}-0123456789ab.tmp"
    running = tmp_path / f".model.safetensors.glassnet-save-{alive}-0123456789ab.tmp"
    other_target = tmp_path / f".other.safetensors.glassnet-save-{dead}-0123456789ab.tmp"
    prefix_target = tmp_path / f".model.safetensors.bak.glassnet-save-{dead}-0123456789ab.tmp"
    not_ours = tmp_path / ".model.safetensors.0123456789ab.tmp"
    for p in (stale, running, other_target, prefix_target, not_ours):
        p.write_bytes(b"x" * 100)
    glassnet.save({"w": glassnet.ones(2)}, path)
    assert not stale.exists()
    assert running.exists() and other_target.exists() and prefix_target.exists() and not_ours.exists()
    assert glassnet.load(path)["w"].tolist() == [1.0, 1.0]


def test_the_temporary_is_named_after_the_target_and_this_process(tmp_path, monkeypatch):
    seen = []

    def record(f, data):
        seen.append(os.path.basename(f.name))
        f.write(data)

    monkeypatch.setattr(serialization, "_write_all", record)
    glassnet.save({"w": glassnet.ones(2)}, tmp_path / "m.safetensors")
    assert seen and seen[0].startswith(f".m.safetensors.glassnet-save-{os.getpid()}-")
    assert _leftovers(tmp_path) == []


def test_a_very_long_target_name_still_gets_a_valid_temporary_name(tmp_path):
    path = tmp_path / ("m" * 240 + ".st")
    glassnet.save({"w": glassnet.ones(2)}, path)
    assert glassnet.load(path)["w"].tolist() == [1.0, 1.0] and _leftovers(tmp_path) == []


def test_deeply_nested_json_header_is_the_same_clear_value_error(tmp_path):
    import struct
    header = b"[" * 100_000 + b"]" * 100_000
    path = tmp_path / "nested.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(ValueError, match="is not a safetensors file"):
        glassnet.load(path)
