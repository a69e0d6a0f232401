"""glassnet.nn.init uses torch's formulas (gains, fans, bounds) and glassnet's generators."""
import math

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn import init

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")


@pytest.mark.parametrize("name, param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                                         ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-12)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(glassnet.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))


def stats(t):
    a = t.detach().numpy()
    return a.min(), a.max(), a.mean(), a.std()


@pytest.mark.parametrize("fill, check", [
    (lambda t: init.uniform_(t, -0.5, 2.0), lambda lo, hi, m, s: lo >= -0.5 and hi <= 2 and abs(m - 0.75) < 0.03),
    (lambda t: init.normal_(t, 1.0, 0.1), lambda lo, hi, m, s: abs(m - 1) < 0.01 and abs(s - 0.1) < 0.005),
    (lambda t: init.xavier_uniform_(t, gain=2.0),
     lambda lo, hi, m, s: hi <= 2 * math.sqrt(6 / 500) and abs(s - 2 * math.sqrt(2 / 500)) < 0.003),
    (lambda t: init.xavier_normal_(t), lambda lo, hi, m, s: abs(s - math.sqrt(2 / 500)) < 0.002),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"),
     lambda lo, hi, m, s: hi <= math.sqrt(6 / 200) and abs(s - math.sqrt(2 / 200)) < 0.003),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     lambda lo, hi, m, s: abs(s - math.sqrt(2 / 300)) < 0.003),
    (lambda t: init.constant_(t, 0.3), lambda lo, hi, m, s: lo == hi == np.float32(0.3)),
    (lambda t: init.ones_(t), lambda lo, hi, m, s: lo == hi == 1),
    (lambda t: init.zeros_(t), lambda lo, hi, m, s: lo == hi == 0),
])
def test_each_initializer_fills_a_parameter_in_place_with_torchs_distribution(fill, check):
    glassnet.manual_seed(0)
    p = nn.Parameter(glassnet.empty(300, 200))  # requires grad: init works under no_grad
    assert fill(p) is p
    assert p.requires_grad and p.grad_fn is None
    assert check(*stats(p))


def test_initializers_draw_from_a_given_generator():
    a, b = glassnet.empty(4, 4), glassnet.empty(4, 4)
    init.kaiming_uniform_(a, a=math.sqrt(5), generator=glassnet.Generator().manual_seed(1))
    init.kaiming_uniform_(b, a=math.sqrt(5), generator=glassnet.Generator().manual_seed(1))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert np.abs(a.numpy()).max() <= 1 / math.sqrt(4)


def test_initializer_errors_match_torch():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(glassnet.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(glassnet.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity softsign"):
        init.calculate_gain("softsign")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(glassnet.empty(0, 3))
