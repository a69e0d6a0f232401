"""SGD on glassnet.exact parameters stays rational; on float32 it is bit-identical to torch's
fused ``add_(grad, alpha=-lr)``."""
from fractions import Fraction

import numpy as np
import pytest

import glassnet


def test_sgd_on_exact_parameters_keeps_fractions():
    w = glassnet.tensor([0.2, -0.3], dtype=glassnet.exact, requires_grad=True)
    opt = glassnet.optim.SGD([w], lr=0.1, momentum=0.5, weight_decay=0.01)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert all(isinstance(v, Fraction) for v in w.tolist())
    # by hand: g = 2w + 0.01w = 2.01w; b1 = g1; w1 = w0 - 0.1 b1; g2 = 2.01 w1; b2 = 0.5 b1 + g2
    w0 = [Fraction(1, 5), Fraction(-3, 10)]
    g1 = [Fraction(201, 100) * v for v in w0]
    w1 = [a - Fraction(1, 10) * b for a, b in zip(w0, g1)]
    b2 = [Fraction(1, 2) * a + Fraction(201, 100) * b for a, b in zip(g1, w1)]
    assert w.tolist() == [a - Fraction(1, 10) * b for a, b in zip(w1, b2)]


def test_sgd_float32_update_is_bit_identical_to_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle for this test")
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=1000).astype(np.float32)
    g0 = rng.normal(size=1000).astype(np.float32)
    results = []
    for lib in (glassnet, torch):
        p = lib.tensor(p0.copy(), requires_grad=True)
        p.grad = lib.tensor(g0.copy())
        lib.optim.SGD([p], lr=0.1).step()
        results.append(p.detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])
