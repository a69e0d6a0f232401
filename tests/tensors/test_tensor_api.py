"""Tensor creation, dtypes, accessors, repr and errors, as PyTorch users expect them."""
import numpy as np
import pytest

import glassnet


def test_default_dtypes_follow_torch():
    assert glassnet.tensor([0.1, 0.2]).dtype == glassnet.float32
    assert glassnet.tensor([1, 2]).dtype == glassnet.int64
    assert glassnet.tensor([True]).dtype == glassnet.bool
    assert glassnet.tensor(np.zeros(2)).dtype == glassnet.float64  # NumPy arrays keep their dtype
    assert glassnet.Tensor([1, 2]).dtype == glassnet.float32      # legacy constructor
    assert glassnet.Tensor(2, 3).shape == (2, 3)
    assert glassnet.float is glassnet.float32 and glassnet.long is glassnet.int64


def test_dtype_conversions():
    x = glassnet.tensor([1.5, 2.5])
    assert x.double().dtype == glassnet.float64
    assert x.long().tolist() == [1, 2]
    assert x.to(glassnet.float64).float().dtype == glassnet.float32
    assert x.to("cpu") is x and x.to(glassnet.device("cpu")) is x
    assert glassnet.tensor([1, 2], device="cpu").device == glassnet.device("cpu")


def test_non_cpu_device_gives_torchs_error_for_a_cpu_only_build():
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        glassnet.tensor([1.0]).to("cuda")
    with pytest.raises(RuntimeError, match="not linked with support for mps devices"):
        glassnet.zeros(2, device="mps")


def test_creation_functions():
    assert glassnet.zeros(2, 3).shape == (2, 3)
    assert glassnet.ones((2,)).tolist() == [1.0, 1.0]
    assert glassnet.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert glassnet.arange(3).tolist() == [0, 1, 2] and glassnet.arange(3).dtype == glassnet.int64
    assert glassnet.arange(0, 1, 0.5).dtype == glassnet.float32
    assert glassnet.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert glassnet.zeros_like(glassnet.ones(2, 2)).sum().item() == 0
    assert glassnet.ones_like(glassnet.zeros(3), dtype=glassnet.float64).dtype == glassnet.float64
    glassnet.manual_seed(0)
    a = glassnet.randn(3)
    glassnet.manual_seed(0)
    assert glassnet.randn(3).tolist() == a.tolist()
    r = glassnet.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1


def test_linspace_is_bit_identical_to_torch_for_short_ranges():
    """Short ranges (the seeds' linspace(0, 1, 11)) take torch's scalar path: bit-identical.
    Long ones take its SIMD path, whose rounding depends on the CPU: within float32 rounding."""
    torch = pytest.importorskip("torch", reason="torch is the oracle for this test")
    for steps in (2, 5, 11):
        np.testing.assert_array_equal(glassnet.linspace(0, 1, steps).numpy(),
                                      torch.linspace(0, 1, steps=steps).numpy())
    np.testing.assert_allclose(glassnet.linspace(-3, 7, 100).numpy(),
                               torch.linspace(-3, 7, steps=100).numpy(), rtol=0, atol=1e-6)


def test_accessors():
    x = glassnet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert [row.tolist() for row in x] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert repr(x.shape) == "glassnet.Size([2, 3])"
    assert float(x.sum()) == 21.0 and int(x[0, 0]) == 1


@pytest.mark.parametrize("make, text", [
    (lambda: glassnet.tensor([0.1, 0.2], requires_grad=True), "tensor([0.1000, 0.2000], requires_grad=True)"),
    (lambda: glassnet.tensor(0.0162), "tensor(0.0162)"),
    (lambda: glassnet.tensor(-16.0019), "tensor(-16.0019)"),
    (lambda: glassnet.tensor([1.0, 0.0]), "tensor([1., 0.])"),
    (lambda: glassnet.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: glassnet.tensor([1.0, 2.0], dtype=glassnet.float64), "tensor([1., 2.], dtype=glassnet.float64)"),
    (lambda: glassnet.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: glassnet.tensor([[0.5, -1.25], [3.0, 4.0]]), "tensor([[ 0.5000, -1.2500],\n        [ 3.0000,  4.0000]])"),
])
def test_repr_like_torch(make, text):
    assert repr(make()) == text


def test_repr_matches_torch_for_random_tensors():
    torch = pytest.importorskip("torch", reason="torch is the oracle for this test")
    rng = np.random.default_rng(0)
    for shape in [(3,), (2, 3), (2, 2, 2), ()]:
        a = rng.normal(size=shape).astype(np.float32)
        assert repr(glassnet.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "glassnet.")


_RNG = np.random.default_rng(1)


@pytest.mark.parametrize("array", [
    np.zeros((1, 57), np.float32),                     # the char-RNN tutorial's one-hot letter
    np.arange(57, dtype=np.float32), np.arange(30), (_RNG.normal(size=(40,)) > 0),
    _RNG.normal(size=(3, 30)).astype(np.float32), _RNG.normal(size=(2, 3, 25)).astype(np.float32),
    _RNG.integers(-1000, 1000, size=(7, 40)),
    np.array([np.inf, -np.inf, np.nan, 1.5, 0.0] * 9, np.float32),
    np.arange(2000, dtype=np.float32).reshape(40, 50),  # summarized; integers spanning > 1000x: sci
    _RNG.normal(size=(5, 300)).astype(np.float32) * 1e5,  # summarized: formatted by what is shown
    np.arange(1200).reshape(2, 600), _RNG.normal(size=(12, 12, 12)).astype(np.float32),
    _RNG.normal(size=(1001,)).astype(np.float32), np.ones((3, 1, 1001), np.float32),
], ids=lambda a: "x".join(map(str, a.shape)) + str(a.dtype))
def test_long_rows_wrap_and_summarize_where_torchs_do(array):
    torch = pytest.importorskip("torch", reason="torch is the oracle for this test")
    assert repr(glassnet.tensor(array)) == repr(torch.tensor(array)).replace("torch.", "glassnet.")


def test_numpy_on_a_tensor_that_requires_grad_says_detach():
    x = glassnet.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_shape_mismatch_names_the_op_and_both_shapes():
    a = glassnet.ones(4, 3)
    with pytest.raises(RuntimeError, match=r"matmul: cannot multiply shapes \(4, 3\) and \(4, 3\)"):
        a @ a
    with pytest.raises(RuntimeError, match="invalid for input of size 12"):
        a.reshape(5, 2)
    with pytest.raises(RuntimeError, match="sizes of tensors must match"):
        glassnet.cat([glassnet.ones(2, 3), glassnet.ones(3, 2)], dim=0)


def test_unsupported_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported dtype"):
        glassnet.tensor([1.0], dtype="complex64")
    with pytest.raises(TypeError):
        glassnet.tensor(["a", "b"])


def test_item_on_many_elements_raises():
    with pytest.raises(RuntimeError, match="3 elements cannot be converted"):
        glassnet.tensor([1.0, 2.0, 3.0]).item()


def test_max_min_with_dim_return_values_and_indices():
    x = glassnet.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 0.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.min(dim=0).indices.tolist() == [0, 1, 1]
    assert x.max().item() == 7.0 and x.argmax().item() == 3
    assert x.argmax(dim=1).tolist() == [1, 0]


def test_comparisons_give_bool_tensors_without_gradient():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == glassnet.bool and not m.requires_grad and m.tolist() == [False, True]
    assert ((x > 0.5).float().mean()).item() == 1.0


def test_integer_division_is_float32_like_torch():
    assert (glassnet.tensor([1, 2]) / glassnet.tensor([2, 4])).dtype == glassnet.float32
    assert (glassnet.tensor([1, 2]) * 0.5).dtype == glassnet.float32
    assert (glassnet.tensor([1.0, 2.0]) * glassnet.tensor(2.0, dtype=glassnet.float64)).dtype == glassnet.float32


def test_format_spec_on_scalars():
    assert f"{glassnet.tensor(0.123456):.4f}" == "0.1235"


def test_numpy_interop():
    x = glassnet.tensor([1.0, 2.0])
    assert np.asarray(x).tolist() == [1.0, 2.0]
    shared = np.array([1.0, 2.0], dtype=np.float32)
    t = glassnet.from_numpy(shared)
    shared[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


def test_tensor_of_a_tensor_keeps_its_dtype_and_copies():
    src = glassnet.tensor([1.5], dtype=glassnet.float64)
    copy = glassnet.tensor(src)
    assert copy.dtype == glassnet.float64
    copy.add_(1)
    assert src.tolist() == [1.5]
