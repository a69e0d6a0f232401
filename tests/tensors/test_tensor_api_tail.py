"""The small Tensor API of issue 25, against torch: __format__, log2/log10/exp2/expm1/log1p,
repeat/narrow, new_*, the in-place shape ops, the default device, saving a whole module, and the
DataLoader's list batches."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
from tests.conftest import TOL

torch = pytest.importorskip("torch")


def _both(array, requires_grad=False):
    return (glassnet.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(a, b, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=rtol, atol=atol)


# -- __format__ -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1.5, 3, -0.125, True])
@pytest.mark.parametrize("spec", ["", ".4f", ">10", "e", "!r", "!s"])
def test_format_of_a_0d_tensor_is_torchs(value, spec):
    if spec == "e" and isinstance(value, bool):
        spec = ""
    g, t = _both(value)
    assert eval(f"f'{{g{spec if spec.startswith('!') else ':' + spec if spec else ''}}}'") == \
        eval(f"f'{{t{spec if spec.startswith('!') else ':' + spec if spec else ''}}}'")


def test_format_of_a_0d_tensor_that_requires_grad_is_its_item():
    g, t = _both(1.5, requires_grad=True)
    assert f"{g}" == f"{t}" == "1.5" and f"{g * 2:.2f}" == f"{t * 2:.2f}" == "3.00"


def test_format_of_an_nd_tensor_takes_only_the_empty_spec():
    g, t = _both([1.5, 2.0])
    assert f"{g}" == f"{t}" and f"{g!r}" == f"{t!r}".replace("torch.", "glassnet.")
    for spec in (".4f", ">40"):
        with pytest.raises(TypeError) as gerr:
            format(g, spec)
        with pytest.raises(TypeError) as terr:
            format(t, spec)
        assert str(gerr.value) == str(terr.value)


# -- log2, log10, exp2, expm1, log1p ----------------------------------------------------------------

UNARY = ["log2", "log10", "exp2", "expm1", "log1p"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_gradients_match_torch(name, dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 3.0, size=(3, 4)).astype(dtype)
    g, t = _both(x, requires_grad=True)
    gy, ty = getattr(g, name)(), getattr(t, name)()
    _close(gy, ty, dtype)
    assert gy.dtype.name == str(ty.dtype).removeprefix("torch.")
    gy.sum().backward()
    ty.sum().backward()
    _close(g.grad, t.grad, dtype)
    _close(getattr(glassnet, name)(g), getattr(torch, name)(t), dtype)  # the torch.* function form


@pytest.mark.parametrize("name", ["expm1", "log1p"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_expm1_and_log1p_are_exact_near_zero(name, dtype):
    x = np.array([1e-10, -1e-12, 1e-20, 3e-8], dtype=dtype)
    g, t = _both(x)
    np.testing.assert_allclose(getattr(g, name)().numpy(), getattr(t, name)().numpy(), rtol=TOL[dtype][0])
    np.testing.assert_allclose(getattr(g, name)().numpy(), x, rtol=1e-6)  # ≈ x, not 0


def test_exact_powers_are_exact():
    assert glassnet.tensor([8.0, 1024.0]).log2().tolist() == [3.0, 10.0]
    assert glassnet.tensor([1000.0, 0.01]).log10().tolist() == [3.0, -2.0]
    assert glassnet.tensor([3.0, -1.0]).exp2().tolist() == [8.0, 0.5]


@pytest.mark.parametrize("name", UNARY)
def test_unary_of_an_int_tensor_is_float32_as_torch(name):
    g, t = _both([1, 2, 3])
    gy, ty = getattr(g, name)(), getattr(t, name)()
    assert gy.dtype == glassnet.float32 and ty.dtype == torch.float32
    _close(gy, ty, "float32")


# -- repeat, narrow -------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=0, max_size=3),
       extra=st.lists(st.integers(0, 3), min_size=0, max_size=2), data=st.data())
def test_repeat_values_and_gradients_match_torch(shape, extra, data):
    reps = extra + [data.draw(st.integers(0, 3)) for _ in shape]
    if not reps:
        return
    x = np.random.default_rng(1).normal(size=shape)
    g, t = _both(x, requires_grad=True)
    gy, ty = g.repeat(*reps), t.repeat(*reps)
    assert tuple(gy.shape) == tuple(ty.shape)
    _close(gy, ty, "float64")
    w = np.random.default_rng(2).normal(size=tuple(ty.shape))
    (gy * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    _close(g.grad, t.grad, "float64")
    assert tuple(g.repeat(reps).shape) == tuple(ty.shape)  # a list as one argument


def test_repeat_errors_are_torchs():
    g, t = _both(np.zeros((2, 3)))
    for args in [(), (2,)]:
        for lib_x in (g, t):
            with pytest.raises((TypeError, RuntimeError)) as err:
                lib_x.repeat(*args)
        gerr = pytest.raises(type(err.value), g.repeat, *args)
        assert str(gerr.value) == str(err.value)


@pytest.mark.parametrize("args", [(1, 1, 2), (0, 1, 1), (1, -1, 1), (-1, 0, 3), (1, 3, 0), (0, -2, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_narrow_values_and_gradients_match_torch(args, dtype):
    x = np.arange(6.0, dtype=dtype).reshape(2, 3)
    g, t = _both(x, requires_grad=True)
    gy, ty = g.narrow(*args), t.narrow(*args)
    _close(gy, ty, dtype)
    (gy * 3).sum().backward()
    (ty * 3).sum().backward()
    _close(g.grad, t.grad, dtype)
    _close(glassnet.narrow(g, *args), torch.narrow(t, *args), dtype)
    _close(g.narrow(args[0], glassnet.tensor(args[1]), args[2]), ty, dtype)  # a tensor start


@pytest.mark.parametrize("args", [(1, 2, 2), (2, 0, 1), (1, -4, 1), (1, 0, -1), (1, 4, 0)])
def test_narrow_errors_are_torchs(args):
    g, t = _both(np.zeros((2, 3)))
    with pytest.raises((IndexError, RuntimeError)) as terr:
        t.narrow(*args)
    with pytest.raises(type(terr.value)) as gerr:
        g.narrow(*args)
    assert str(gerr.value) == str(terr.value)


# -- new_* ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("base", [[1.5, 2.0], [1, 2], np.array([1.0], dtype=np.float64)])
@pytest.mark.parametrize("call", [
    lambda x: x.new_zeros(2, 3), lambda x: x.new_zeros((2,)), lambda x: x.new_ones(3),
    lambda x: x.new_ones((1, 2), dtype=x.__class__ is torch.Tensor and torch.float64 or glassnet.float64),
    lambda x: x.new_full((2,), 7), lambda x: x.new_full((2, 2), 1.5), lambda x: x.new_empty(2).zero_(),
    lambda x: x.new_tensor([1.5, 2]), lambda x: x.new_tensor(3), lambda x: x.new_zeros(()),
])
def test_new_factories_take_the_tensors_dtype_as_torch(base, call):
    g, t = _both(base)
    gy, ty = call(g), call(t)
    assert gy.dtype.name == str(ty.dtype).removeprefix("torch.")
    assert tuple(gy.shape) == tuple(ty.shape) and gy.tolist() == ty.tolist()
    assert not gy.requires_grad


def test_new_factories_requires_grad_and_device():
    g = glassnet.zeros(2)
    assert g.new_zeros(2, requires_grad=True).requires_grad
    assert g.new_ones(2, device="cpu").device == glassnet.device("cpu")
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        g.new_zeros(2, device="cuda")


# -- unsqueeze_, squeeze_, t_ ---------------------------------------------------------------------

@pytest.mark.parametrize("shape, op", [((2, 3), "unsqueeze_(0)"), ((2, 3), "unsqueeze_(-1)"),
                                       ((1, 2, 1), "squeeze_()"), ((1, 2, 1), "squeeze_(0)"),
                                       ((1, 2, 1), "squeeze_((0, 2))"), ((2, 3), "t_()"), ((3,), "t_()"),
                                       ((), "unsqueeze_(0)")])
def test_inplace_shape_ops_match_torch_and_bump_the_version(shape, op):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    g, t = _both(x)
    gv, tv = g._version, t._version
    assert eval("g." + op) is g and eval("t." + op) is t
    assert tuple(g.shape) == tuple(t.shape) and g.tolist() == t.tolist()
    assert g._version > gv and t._version > tv


@pytest.mark.parametrize("op", ["unsqueeze_(0)", "squeeze_()", "t_()"])
def test_inplace_shape_ops_refuse_a_leaf_that_requires_grad_as_torch(op):
    g, t = _both(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        eval("t." + op)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        eval("g." + op)
    with glassnet.no_grad():
        eval("g." + op)  # allowed, as in torch
    assert g.shape != (2, 3) or op == "squeeze_()"


def test_inplace_shape_op_inside_a_graph_says_to_write_it_out_of_place():
    g = glassnet.zeros(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="out of place"):
        g.unsqueeze_(0)


def test_t__of_3d_is_torchs_error():
    with pytest.raises(RuntimeError) as terr:
        torch.zeros(2, 3, 4).t_()
    with pytest.raises(RuntimeError) as gerr:
        glassnet.zeros(2, 3, 4).t_()
    assert str(gerr.value) == str(terr.value)


# -- the default device -----------------------------------------------------------------------------

def test_default_device_is_the_cpu():
    assert glassnet.get_default_device() == glassnet.device("cpu")
    assert repr(glassnet.get_default_device()) == repr(torch.get_default_device())
    for d in ("cpu", glassnet.device("cpu"), None):
        glassnet.set_default_device(d)
    assert glassnet.get_default_device() == glassnet.device("cpu")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        glassnet.set_default_device("cuda")
    with pytest.raises(RuntimeError, match="not linked with support for mps"):
        glassnet.set_default_device(glassnet.device("mps"))
    assert glassnet.get_default_device() == glassnet.device("cpu")


# -- glassnet.save of a whole module --------------------------------------------------------------

def test_saving_a_whole_module_names_the_safetensors_way(tmp_path):
    model = glassnet.nn.Linear(2, 1)
    with pytest.raises(TypeError) as err:
        glassnet.save(model, tmp_path / "m.safetensors")
    message = str(err.value)
    assert "never writes pickle" in message and "glassnet.save(model.state_dict(), path)" in message
    assert "torch.save(model.state_dict(), path)" in message and "Linear" in message
    assert not (tmp_path / "m.safetensors").exists()
    glassnet.save(model.state_dict(), tmp_path / "m.safetensors")  # the way it names works


# -- DataLoader batches -----------------------------------------------------------------------------

def test_a_tensor_dataset_batch_is_a_list_as_torchs():
    from glassnet.data import DataLoader, TensorDataset
    from torch.utils.data import DataLoader as TDataLoader, TensorDataset as TTensorDataset
    X, y = np.arange(8.0, dtype=np.float32).reshape(4, 2), np.arange(4)
    gb = next(iter(DataLoader(TensorDataset(glassnet.tensor(X), glassnet.tensor(y)), batch_size=2)))
    tb = next(iter(TDataLoader(TTensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=2)))
    assert type(gb) is type(tb) is list
    assert [b.tolist() for b in gb] == [b.tolist() for b in tb]


def test_default_collate_of_tuples_dicts_and_nesting_is_torchs():
    from glassnet.data import default_collate
    from torch.utils.data import default_collate as torch_collate

    def plain(obj):
        if hasattr(obj, "tolist") and not isinstance(obj, (list, tuple)):
            return ("T", obj.tolist())
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return (type(obj).__name__, [plain(v) for v in obj])
        return obj

    for batch in ([(1, 2), (3, 4)], [[1, 2], [3, 4]], [{"a": (1, [2, 3])}, {"a": (4, [5, 6])}],
                  [(1.5, "x"), (2.5, "y")], [{"x": (True, 2)}, {"x": (False, 3)}]):
        assert plain(default_collate(batch)) == plain(torch_collate(batch)), batch


# -- the deprecated add(Number alpha, Tensor other) overload ----------------------------------------

@pytest.mark.parametrize("name", ["add", "sub", "add_", "sub_"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_deprecated_alpha_first_overload_is_torchs(name, dtype):
    # pytorch/examples word_language_model's main.py: p.data.add_(-lr, p.grad.data)
    x = np.array([1.0, -2.0, 3.5], dtype=dtype)
    other = np.array([0.5, 4.0, -1.0], dtype=dtype)
    g, t = _both(x)
    with pytest.warns(UserWarning, match=f"This overload of {name} is deprecated"):
        g_out = getattr(g, name)(-0.25, glassnet.tensor(other))
    with warnings.catch_warnings():  # torch warns once a process
        warnings.simplefilter("ignore")
        t_out = getattr(t, name)(-0.25, torch.tensor(other))
    _close(g_out, t_out, dtype)
    _close(g, t, dtype)                                          # in place for add_/sub_ only
    if not name.endswith("_"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _close(getattr(glassnet, name)(g, -0.25, glassnet.tensor(other)),
                   getattr(torch, name)(t, -0.25, torch.tensor(other)), dtype)


def test_a_number_other_with_a_number_alpha_is_not_the_deprecated_overload():
    g, t = _both(np.array([1.0, 2.0], dtype="float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _close(g.add(2.0, alpha=3), t.add(2.0, alpha=3), "float32")
