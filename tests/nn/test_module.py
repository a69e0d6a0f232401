"""Module semantics as torch defines them: registration by assignment, names, repr, state_dict
(round trip, torch interchange, strict errors), hooks, modes, gradients, dtype moves, containers."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn.module import register_module_forward_hook

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")


def build(lib):
    """One architecture using every layer, written once for glassnet and torch."""
    tnn = lib.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.proj = tnn.Linear(4, 4, bias=False)
            self.act = tnn.GELU(approximate="tanh")

        def forward(self, x):
            return self.act(self.proj(x)) + x

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.stem = tnn.Sequential(OrderedDict([("fc", tnn.Linear(3, 4)), ("relu", tnn.ReLU()),
                                                    ("drop", tnn.Dropout(0.1))]))
            self.blocks = tnn.ModuleList([Block(), Block(), tnn.Identity()])
            self.head = tnn.Sequential(tnn.Flatten(), tnn.LeakyReLU(0.2), tnn.Linear(4, 2), tnn.Tanh(),
                                       tnn.Sigmoid(), tnn.Softmax(dim=1), tnn.LogSoftmax(dim=-1))
            self.scale = tnn.Parameter(lib.tensor(1.5))
            self.register_buffer("offset", lib.zeros(2))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)

        def forward(self, x):
            h = self.stem(x)
            for block in self.blocks:
                h = block(h)
            return self.head(h) * self.scale + self.offset
    return Net()


def both():
    g, t = build(glassnet), build(torch)
    g.load_state_dict(t.state_dict())
    return g, t


def test_repr_is_torchs_repr():
    g, t = both()
    assert repr(g) == repr(t)
    assert repr(nn.Linear(2, 3, bias=False)) == repr(torch.nn.Linear(2, 3, bias=False))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_names_match_torch():
    g, t = both()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [type(m).__name__ for m in g.children()] == [type(m).__name__ for m in t.children()]
    assert [type(m).__name__ for m in g.modules()] == [type(m).__name__ for m in t.modules()]


def test_state_dict_keys_shapes_and_values_match_torch_and_load_into_torch():
    g, t = both()
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts)  # includes the persistent buffer, not the non-persistent one
    for k in gs:
        assert tuple(gs[k].shape) == tuple(ts[k].shape)
        np.testing.assert_array_equal(gs[k].numpy(), ts[k].numpy())
    fresh = build(torch)
    fresh.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in gs.items()})
    g.eval(), fresh.eval()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(g(glassnet.tensor(x)).detach().numpy(), fresh(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_forward_and_gradients_match_torch_with_the_same_weights():
    g, t = both()
    g.eval(), t.eval()
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    gy, ty = g(glassnet.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    (gy * glassnet.tensor(x[:, :2])).sum().backward()
    (ty * torch.tensor(x[:, :2])).sum().backward()
    for (name, gp), (tname, tp) in zip(g.named_parameters(), t.named_parameters(), strict=True):
        assert name == tname
        np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_checkpoint_saved_by_glassnet_loads_into_torch_and_back(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from .test_seeds import MyBasicNN, NeuralNetwork
    for make in (NeuralNetwork, MyBasicNN):  # matrices, vectors and 0-d parameters
        model = make(glassnet)()
        glassnet.save(model.state_dict(), tmp_path / "g.safetensors")
        in_torch = make(torch)()
        assert repr(in_torch.load_state_dict(safetensors_torch.load_file(tmp_path / "g.safetensors"))) == \
            "<All keys matched successfully>"
        safetensors_torch.save_file(in_torch.state_dict(), tmp_path / "t.safetensors")
        back = make(glassnet)()
        back.load_state_dict(glassnet.load(tmp_path / "t.safetensors"))
        for (n, a), (_, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)


def test_state_dict_values_are_detached_and_share_memory():
    net = nn.Linear(2, 2)
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad and type(sd["weight"]) is glassnet.Tensor
    with glassnet.no_grad():
        sd["weight"].fill_(3.0)
    assert net.weight.detach().numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert net.state_dict(keep_vars=True)["weight"] is net.weight


def test_state_dict_round_trip_between_glassnet_models():
    a, b = build(glassnet), build(glassnet)
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    for (n, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=n)


def torch_message(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


def two_layer_net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = lib.nn.Linear(2, 3)
            self.layer2 = lib.nn.Linear(3, 1)
    return Net()


def test_strict_loading_errors_are_worded_as_torch_words_them():
    bad = {"layer1.weight": np.zeros((3, 3), np.float32), "layer1.bias": np.zeros(3, np.float32),
           "layer2.weight": np.zeros((1, 3), np.float32), "extra": np.zeros(1, np.float32),
           "layer2.gamma": np.zeros(1, np.float32)}
    messages = []
    for lib in (glassnet, torch):
        with pytest.raises(RuntimeError) as info:
            two_layer_net(lib).load_state_dict({k: lib.tensor(v) for k, v in bad.items()})
        messages.append(str(info.value))
    ours, theirs = messages
    assert ours == theirs.replace("torch.Size", "glassnet.Size")
    assert ours.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "layer2.bias"' in ours
    assert 'Unexpected key(s) in state_dict: "extra", "layer2.gamma"' in ours
    assert "size mismatch for layer1.weight: copying a param with shape glassnet.Size([3, 3])" in ours


def test_non_strict_loading_reports_keys_but_still_rejects_shape_mismatches():
    net = nn.Linear(2, 3)
    result = net.load_state_dict({"weight": glassnet.zeros(3, 2), "junk": glassnet.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    assert net.weight.detach().numpy().sum() == 0
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        net.load_state_dict({"weight": glassnet.zeros(2, 2)}, strict=False)
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        net.load_state_dict({"weight": glassnet.zeros(3, 2), "bias": [1, 2, 3]})


def test_loading_keeps_parameter_identity_so_optimizers_still_see_them():
    net = nn.Linear(2, 3)
    w = net.weight
    net.load_state_dict(nn.Linear(2, 3).state_dict())
    assert net.weight is w and net.weight.requires_grad


# -- registration -------------------------------------------------------------------------------
def test_assignment_registers_and_replacement_keeps_order():
    m = nn.Module()
    m.a = nn.Parameter(glassnet.zeros(1))
    m.b = nn.Parameter(glassnet.zeros(2))
    m.a = nn.Parameter(glassnet.ones(3))
    assert [n for n, _ in m.named_parameters()] == ["a", "b"]
    assert m.a.shape == (3,) and m._parameters["a"] is m.a
    m.a = None
    assert m.a is None and [n for n, _ in m.named_parameters()] == ["b"]
    m.child = nn.Linear(1, 1)
    m.child = nn.ReLU()
    assert list(m._modules) == ["child"] and isinstance(m.child, nn.ReLU)
    del m.child
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'child'"):
        m.child  # noqa: B018
    m.plain = glassnet.zeros(2)  # a plain tensor is an ordinary attribute, as in torch
    assert list(m.state_dict()) == ["b"]


def test_a_name_moves_between_registries_when_reassigned():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(glassnet.zeros(1))
    assert "x" not in m._modules and m._parameters["x"] is m.x
    m.register_buffer("buf", glassnet.zeros(1))
    m.buf = glassnet.ones(1)
    assert m._buffers["buf"] is m.buf


def test_registration_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'glassnet.Tensor' as parameter 'weight'"):
        m.weight = glassnet.zeros(2, 2)
    with pytest.raises(TypeError, match="as child module"):
        seq = nn.Sequential(nn.ReLU())
        setattr(seq, "0", 3)
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_parameter("in_features", None)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_buffer("forward", glassnet.zeros(1))
    with pytest.raises(KeyError, match="buffer name can"):
        m.register_buffer("a.b", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(glassnet.zeros(1))
            super().__init__()
    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_parameter_is_a_leaf_tensor_sharing_memory_with_its_data():
    data = glassnet.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, glassnet.Tensor) and p.is_leaf and p.requires_grad
    with glassnet.no_grad():
        p.mul_(2)
    assert data.tolist() == [2.0, 4.0]
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([2.0, 4.0])))
    frozen = nn.Parameter(glassnet.tensor(1.7), requires_grad=False)
    assert repr(frozen) == "Parameter containing:\ntensor(1.7000)" == repr(
        torch.nn.Parameter(torch.tensor(1.7), requires_grad=False))
    assert type(p.detach()) is glassnet.Tensor and type((p * 2)) is glassnet.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(glassnet.tensor([1, 2]))


def test_frozen_parameters_get_no_gradient_and_are_not_updated():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(glassnet.tensor(2.0), requires_grad=False)
            self.b = nn.Parameter(glassnet.tensor(0.0))

        def forward(self, x):
            return x * self.w + self.b
    net = Net()
    ((net(glassnet.tensor(3.0)) - 1) ** 2).backward()
    assert net.w.grad is None and net.b.grad.item() == 10.0
    with glassnet.no_grad():
        for p in net.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad
    assert net.w.item() == 2.0 and net.b.item() == pytest.approx(-1.0)


def test_zero_grad_and_requires_grad_():
    net = nn.Linear(2, 1)
    net(glassnet.ones(1, 2)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.weight.grad.tolist() == [[0.0, 0.0]]
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_train_eval_propagate_and_apply_visits_children_first():
    g, t = both()
    assert g.eval() is g and not any(m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    seen_g, seen_t = [], []
    g.apply(lambda m: seen_g.append(type(m).__name__))
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_g == seen_t


def test_forward_hooks_fire_modify_and_remove():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    calls = []
    pre = net[0].register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = net.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = net(glassnet.ones(3, 2))
    assert calls == [(3, 2)]
    expected = np.maximum(net[0].bias.detach().numpy(), 0) + 1  # the pre-hook zeroed the input
    np.testing.assert_allclose(y.detach().numpy(), np.broadcast_to(expected, (3, 2)))
    pre.remove(), post.remove()
    net(glassnet.ones(3, 2))
    assert calls == [(3, 2)]
    with net.register_forward_hook(lambda m, a, k, out: calls.append(k), with_kwargs=True):
        net(glassnet.ones(1, 2))
    assert calls[-1] == {} and not net._forward_hooks


def test_global_forward_hooks_let_an_observer_learn_module_paths():
    net = build(glassnet).eval()
    paths = {id(m): name for name, m in net.named_modules()}
    visited = []
    handle = register_module_forward_hook(lambda m, args, out: visited.append(paths.get(id(m))))
    try:
        net(glassnet.randn(2, 3))
    finally:
        handle.remove()
    assert visited[:3] == ["stem.fc", "stem.relu", "stem.drop"] and visited[-1] == ""
    count = len(visited)
    net(glassnet.randn(2, 3))
    assert len(visited) == count  # removed: nothing more is recorded


@pytest.mark.parametrize("lib_name", ["glassnet", "torch"])
def test_a_hook_may_add_and_remove_global_hooks_during_a_call(lib_name):
    """torch calls the hooks of a snapshot: a hook that removes itself and installs another does not
    break the call (``explain.record`` installs and removes global hooks while other threads train;
    iterating the live dict raised "dictionary changed size during iteration" in the playground)."""
    lib = pytest.importorskip(lib_name)
    from importlib import import_module
    mm = import_module("torch.nn.modules.module") if lib_name == "torch" else import_module("glassnet.nn.module")
    seen, handles = [], []

    def once(m, args):
        seen.append(type(m).__name__)
        handles[0].remove()
        handles.append(mm.register_module_forward_pre_hook(lambda m, a: seen.append("later")))
        handles.append(mm.register_module_forward_hook(lambda m, a, out: None))

    handles.append(mm.register_module_forward_pre_hook(once))
    try:
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        net(lib.ones(1, 2))
    finally:
        for h in handles:
            h.remove()
    assert seen == ["Sequential", "later", "later"]        # the new pre-hook sees the children


def test_to_double_float_convert_in_place_and_return_self():
    net = nn.Sequential(nn.Linear(2, 2))
    w = net[0].weight
    net(glassnet.ones(1, 2)).sum().backward()
    assert net.double() is net and w.dtype == glassnet.float64 and w.grad.dtype == glassnet.float64
    assert net[0].weight is w
    assert net.to(glassnet.float32) is net and w.dtype == glassnet.float32
    assert net.to("cpu") is net and net.cpu() is net
    assert net.to(glassnet.zeros(1, dtype=glassnet.float64)) is net and w.dtype == glassnet.float64
    with pytest.raises(AssertionError, match="not compiled with CUDA"):  # torch's error, CPU build
        net.to("cuda")


def test_deepcopy_and_pickle_give_independent_equal_models():
    net = build(glassnet)
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    seq.register_buffer("count", glassnet.zeros(1))
    net_copy, seq_copy = copy.deepcopy(net), pickle.loads(pickle.dumps(seq))
    # attribute access and the registries still name the same (new) objects
    assert net_copy.stem.fc.weight is net_copy.stem._modules["fc"]._parameters["weight"]
    assert seq_copy.fc.weight is seq_copy._modules["fc"]._parameters["weight"]
    assert seq_copy.count is seq_copy._buffers["count"]
    for original, clone in ((net, net_copy), (seq, seq_copy)):
        assert repr(clone) == repr(original)
        assert next(clone.parameters()) is not next(original.parameters())
        assert all(p.requires_grad for p in clone.parameters())
        for (n, a), (_, b) in zip(original.state_dict().items(), clone.state_dict().items(), strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)


# -- containers ----------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing_follow_torch():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(1, 2), lib.nn.ReLU(), lib.nn.Linear(2, 3), lib.nn.Tanh())
    g, t = make(glassnet), make(torch)
    assert len(g) == 4 and type(g[-1]).__name__ == "Tanh" and isinstance(g[1:], nn.Sequential)
    assert repr(g[1:]) == repr(t[1:]) and [n for n, _ in g[2:].named_parameters()] == ["2.weight", "2.bias"]
    for s in (g, t):
        del s[1]
        s.append(s[0].__class__(3, 1))
        s.insert(1, s[-1].__class__(1, 1))
    assert repr(g) == repr(t)
    assert [type(m).__name__ for m in g] == [type(m).__name__ for m in t]
    with pytest.raises(IndexError, match="index 9 is out of range"):
        g[9]  # noqa: B018
    assert g.pop(0) is not None and len(g) == len(t) - 1


def test_module_list_repr_compresses_repeats_like_torch():
    def make(lib):
        return lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)] + [lib.nn.ReLU(), lib.nn.ReLU()])
    g, t = make(glassnet), make(torch)
    assert repr(g) == repr(t)
    g += [nn.Tanh()]
    assert len(g) == 6 and isinstance(g[1:3], nn.ModuleList)
    assert [n for n, _ in g.named_parameters()][:2] == ["0.weight", "0.bias"]
