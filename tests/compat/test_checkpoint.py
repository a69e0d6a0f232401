"""Checkpoint dicts saved without pickle: the same structure back in glassnet, and the same
tensors (and, with checkpoint.rebuild, the same dict) in PyTorch."""
import json
import struct

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.serialization.checkpoint import rebuild


def _trained():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = glassnet.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        loss = model(glassnet.ones(5, 3)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt, loss


def _checkpoint(model, opt, loss):
    return {"epoch": 5, "model_state": model.state_dict(), "optim_state": opt.state_dict(),
            "loss": loss.item(), "name": "run-1", "history": [1, 2.5, None, True, float("inf")],
            "pair": (1, "a"), "ids": {0: "zero", 7: "seven"}, "tensor": glassnet.arange(3)}


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, glassnet.Tensor):
        return isinstance(b, glassnet.Tensor) and a.dtype == b.dtype and glassnet.equal(a, b)
    return type(a) is type(b) and a == b


def test_a_checkpoint_dict_loads_back_with_the_same_structure(tmp_path):
    model, opt, loss = _trained()
    ckpt = _checkpoint(model, opt, loss)
    glassnet.save(ckpt, tmp_path / "ckpt.pt")
    back = glassnet.load(tmp_path / "ckpt.pt", weights_only=True)
    assert _same(ckpt, back)
    assert list(back["optim_state"]["state"]) == [0, 1, 2, 3]  # integer ids stay integers


def test_the_loaded_optimizer_state_continues_training_identically(tmp_path):
    model, opt, loss = _trained()
    glassnet.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "c.safetensors")
    back = glassnet.load(tmp_path / "c.safetensors")
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt2 = glassnet.optim.Adam(model2.parameters(), lr=1.0)
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["opt"])
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(glassnet.ones(5, 3)).pow(2).mean().backward()
        o.step()
    assert all(glassnet.equal(a, b) for a, b in zip(model.parameters(), model2.parameters(), strict=True))


def test_the_file_is_plain_safetensors_with_json_metadata(tmp_path):
    glassnet.save({"a": {"w": glassnet.ones(2)}, "n": 3}, tmp_path / "c.st")
    data = (tmp_path / "c.st").read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    assert "a/w" in header and json.loads(header["__metadata__"]["glassnet.checkpoint"]) == \
        {"dict": [["a", {"dict": [["w", {"tensor": "a/w"}]]}], ["n", 3]]}
    assert b"pickle" not in data and data[8 + size:].count(b"\x80\x04") == 0


def test_a_flat_state_dict_is_still_a_plain_state_dict(tmp_path):
    model, _, _ = _trained()
    glassnet.save(model.state_dict(), tmp_path / "m.st")
    back = glassnet.load(tmp_path / "m.st")
    assert list(back) == list(model.state_dict())


def test_what_a_checkpoint_cannot_hold_is_refused_with_the_fix(tmp_path):
    model, _, _ = _trained()
    with pytest.raises(TypeError, match="Save its state_dict"):
        glassnet.save({"model": model}, tmp_path / "x")
    with pytest.raises(TypeError, match=r"\['a'\]\[0\]"):
        glassnet.save({"a": [object()]}, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_pytorch_reads_the_tensors_and_rebuild_gives_the_dict(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file
    model, opt, loss = _trained()
    ckpt = _checkpoint(model, opt, loss)
    glassnet.save(ckpt, tmp_path / "ckpt.pt")
    tensors = load_file(tmp_path / "ckpt.pt")
    assert set(tensors) >= {"model_state/0.weight", "optim_state/state/0/exp_avg", "tensor"}
    back = rebuild(tmp_path / "ckpt.pt")
    assert back["epoch"] == 5 and back["history"][4] == float("inf") and back["pair"] == (1, "a")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tmodel.load_state_dict(back["model_state"])
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.5)
    topt.load_state_dict(back["optim_state"])
    assert topt.param_groups[0]["betas"] == (0.8, 0.9) and topt.param_groups[0]["lr"] == 0.01
    np.testing.assert_array_equal(tmodel[0].weight.detach().numpy(), model[0].weight.detach().numpy())
