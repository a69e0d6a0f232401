"""Convolution layers cross both ways (glassnet.bridge matches classes by name): same class, same
options, same weights, same outputs."""
import numpy as np
import pytest

import glassnet

torch = pytest.importorskip("torch", reason="torch is the other engine")
from glassnet.bridge import from_torch, to_torch  # noqa: E402


def build(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 4, 4, padding="same", dilation=1), nn.ReLU(),
                         nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, bias=False),
                         nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1))


def build_1d(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv1d(2, 3, 3, padding=2, dilation=2), nn.ConvTranspose1d(3, 2, 2, stride=2))


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("make, shape", [(build, (2, 3, 8, 8)), (build_1d, (2, 2, 7))])
@pytest.mark.parametrize("direction", ["to_torch", "from_torch"])
def test_conv_layers_cross_both_ways(make, shape, direction):
    src_lib, dst_lib, cross = ((glassnet, torch, to_torch) if direction == "to_torch"
                               else (torch, glassnet, from_torch))
    src = make(src_lib)
    dst = cross(src)
    assert repr(dst) == repr(src)
    for a, b in zip(src, dst, strict=True):
        assert type(b).__name__ == type(a).__name__ and type(b).__module__.startswith(dst_lib.__name__)
        if hasattr(a, "weight"):
            assert a._reversed_padding_repeated_twice == b._reversed_padding_repeated_twice
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ys = [np.asarray(m(lib.tensor(x)).detach().numpy()) for m, lib in ((src, src_lib), (dst, dst_lib))]
    np.testing.assert_allclose(ys[0], ys[1], rtol=1e-5, atol=1e-6)
