"""tril / triu against torch: values, gradients (only kept entries get one) and a float64 gradcheck."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import glassnet
from glassnet.autograd import gradcheck

torch = pytest.importorskip("torch")


@given(rows=st.integers(1, 5), cols=st.integers(1, 5), batch=st.integers(0, 2),
       diagonal=st.integers(-3, 3), name=st.sampled_from(["tril", "triu"]))
def test_triangle_matches_torch(rows, cols, batch, diagonal, name):
    a = np.random.default_rng(rows * 10 + cols).standard_normal((2,) * batch + (rows, cols)).astype(np.float32)
    x = glassnet.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = getattr(glassnet, name)(x, diagonal), getattr(torch, name)(tx, diagonal)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    w = np.arange(a.size, dtype=np.float32).reshape(a.shape)
    (y * glassnet.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_triangle_gradcheck_and_errors():
    x = glassnet.randn(3, 4, dtype=glassnet.float64, requires_grad=True)
    assert gradcheck(lambda t: t.tril(1) * t.triu(-1), (x,))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        glassnet.tril(glassnet.ones(3))
    mask = glassnet.tril(glassnet.ones(4, 4))
    assert not mask.requires_grad and mask.dtype == glassnet.float32
