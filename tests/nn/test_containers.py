"""ModuleDict, ParameterList and ParameterDict behave as torch's (methods, reprs, state_dict keys);
register_buffer (persistent or not) in state_dict, load_state_dict, .to()/.double()/.float(),
named_buffers, assigning None; weight tying (nanoGPT's ``lm_head.weight = wte.weight``): one
parameter, both keys, the tie kept by load_state_dict, the optimizer and the bridge."""
import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests (pip install torch==2.13.0)")


def test_module_dict_as_torch():
    g = nn.ModuleDict({"lin": nn.Linear(2, 3), "act": nn.ReLU()})
    t = torch.nn.ModuleDict({"lin": torch.nn.Linear(2, 3), "act": torch.nn.ReLU()})
    assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict()) == ["lin.weight", "lin.bias"]
    assert list(g.keys()) == ["lin", "act"] and len(g) == 2 and "lin" in g and list(g) == ["lin", "act"]
    g["out"] = nn.Linear(3, 1)
    g.update([("extra", nn.Tanh())])
    assert list(g.keys()) == ["lin", "act", "out", "extra"]
    assert isinstance(g.pop("extra"), nn.Tanh) and "extra" not in g
    del g["act"]
    assert [n for n, _ in g.named_parameters()] == ["lin.weight", "lin.bias", "out.weight", "out.bias"]
    assert [type(v).__name__ for v in g.values()] == ["Linear", "Linear"]
    assert [k for k, _ in g.items()] == ["lin", "out"]
    g.clear()
    assert len(g) == 0 and repr(nn.ModuleDict()) == repr(torch.nn.ModuleDict())
    with pytest.raises(TypeError, match="should be Iterable"):
        nn.ModuleDict([1])


def test_parameter_list_as_torch():
    g = nn.ParameterList([nn.Parameter(glassnet.ones(3)), glassnet.ones(2, 3, dtype=glassnet.float64)])
    t = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(3)), torch.ones(2, 3, dtype=torch.float64)])
    assert repr(g).replace("glassnet", "torch") == repr(t)
    assert list(g.state_dict()) == list(t.state_dict()) == ["0", "1"]
    assert isinstance(g[1], nn.Parameter) and g[1].requires_grad and len(g) == 2
    g.append(glassnet.zeros(1))
    g.extend([nn.Parameter(glassnet.zeros(4))])
    g += [nn.Parameter(glassnet.zeros(5))]
    assert [tuple(p.shape) for p in g] == [(3,), (2, 3), (1,), (4,), (5,)]
    assert len(list(nn.Module.parameters(g))) == 5 and g[-1].shape == (5,)
    assert [p.shape[0] for p in g[1:3]] == [2, 1]
    g[0] = glassnet.full((3,), 2.0)
    assert isinstance(g[0], nn.Parameter) and float(g[0].sum()) == 6.0
    with pytest.raises(IndexError):
        g[9]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        g()
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())


def test_parameter_dict_as_torch():
    g = nn.ParameterDict({"b": nn.Parameter(glassnet.ones(3)), "a": glassnet.ones(2, 3)})
    t = torch.nn.ParameterDict({"b": torch.nn.Parameter(torch.ones(3)), "a": torch.ones(2, 3)})
    assert repr(g).replace("glassnet", "torch") == repr(t)
    assert list(g.state_dict()) == list(t.state_dict()) == ["a", "b"]   # a plain dict is sorted
    assert "a" in g and len(g) == 2 and list(g.keys()) == ["a", "b"] and isinstance(g["a"], nn.Parameter)
    g["c"] = nn.Parameter(glassnet.zeros(1))
    g.update({"d": nn.Parameter(glassnet.zeros(2))})
    assert list(g) == ["a", "b", "c", "d"] and [k for k, _ in g.items()] == list(g.keys())
    assert g.pop("c").shape == (1,) and "c" not in g and g.get("c") is None
    assert g.setdefault("e", nn.Parameter(glassnet.zeros(7))).shape == (7,)
    del g["e"]
    assert [n for n, _ in g.named_parameters()] == ["a", "b", "d"]
    assert list(g.copy().keys()) == ["a", "b", "d"] and len(list(g.values())) == 3
    with pytest.raises(TypeError, match="not a string"):
        g[0]
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        g()
    g.clear()
    assert len(g) == 0 and repr(g) == repr(torch.nn.ParameterDict())


def test_containers_cross_the_bridge_both_ways():
    from glassnet.bridge import from_torch, to_torch
    g = nn.ModuleDict({"a": nn.Linear(2, 2)})
    g2 = nn.ParameterList([nn.Parameter(glassnet.ones(2))])
    g3 = nn.ParameterDict({"w": nn.Parameter(glassnet.ones(2))})
    for m, cls in ((g, torch.nn.ModuleDict), (g2, torch.nn.ParameterList), (g3, torch.nn.ParameterDict)):
        t = to_torch(m)
        assert isinstance(t, cls) and list(t.state_dict()) == list(m.state_dict())
        back = from_torch(t)
        assert type(back) is type(m) and list(back.state_dict()) == list(m.state_dict())
        assert len(back) == len(m)


class Buffered(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("tril", glassnet.tril(glassnet.ones(3, 3)))
        self.register_buffer("scratch", glassnet.zeros(2), persistent=False)
        self.register_buffer("steps", glassnet.tensor(0))


def test_buffers_persistent_or_not():
    m = Buffered()
    assert list(m.state_dict()) == ["tril", "steps", "lin.weight", "lin.bias"]   # torch: own entries first
    assert [n for n, _ in m.named_buffers()] == ["tril", "scratch", "steps"] and len(list(m.buffers())) == 3
    state = m.state_dict()
    state["tril"] = glassnet.full((3, 3), 5.0)
    assert m.load_state_dict(state).missing_keys == []        # the non-persistent one is not expected
    assert float(m.tril.sum()) == 45.0
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "scratch"'):
        m.load_state_dict({**m.state_dict(), "scratch": glassnet.zeros(2)})
    m.double()
    assert m.scratch.dtype == glassnet.float64 and m.tril.dtype == glassnet.float64
    assert m.steps.dtype == glassnet.int64                    # integer buffers keep their type
    m.to(glassnet.float32)
    assert m.scratch.dtype == glassnet.float32 and m.lin.weight.dtype == glassnet.float32
    m.scratch = None
    assert [n for n, _ in m.named_buffers()] == ["tril", "steps"]
    with pytest.raises(TypeError, match="cannot assign"):
        m.tril = [1, 2]
    assert not any(b is p for b in m.buffers() for p in m.parameters())


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(5, 4)
        self.lm_head = nn.Linear(4, 5, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        return self.lm_head(self.wte(idx))


def test_weight_tying_as_nanogpt_does_it():
    glassnet.manual_seed(0)
    m = Tied()
    assert len(list(m.parameters())) == 1
    assert list(m.state_dict()) == ["wte.weight", "lm_head.weight"]
    state = {k: v.clone() * 0 + 1.5 for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    assert m.lm_head.weight is m.wte.weight and float(m.wte.weight.sum()) == 30.0
    opt = glassnet.optim.SGD(m.parameters(), lr=0.1)
    before = m.wte.weight.detach().clone()
    loss = m(glassnet.tensor([[0, 1, 2]])).sum()
    loss.backward()
    grad = m.wte.weight.grad.clone()                     # both uses of the weight, summed
    opt.step()
    np.testing.assert_allclose(m.wte.weight.detach().numpy(), (before - 0.1 * grad).numpy(), rtol=1e-6)
    from glassnet.bridge import from_torch, to_torch
    t = to_torch(m)
    assert t.lm_head.weight is t.wte.weight and len(list(t.parameters())) == 1
    back = from_torch(t)
    assert back.lm_head.weight is back.wte.weight
