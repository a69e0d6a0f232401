"""The computation graph as DOT (always) and SVG (when Graphviz is installed)."""
import shutil

import pytest


def test_dot_has_every_op_parameter_and_leaf(flip_exact):
    dot = flip_exact.to_dot()
    assert dot.startswith('digraph "step" {') and dot.rstrip().endswith("}")
    for i, op in enumerate(flip_exact.forward_ops):
        assert f'"o:{op.index}" [' in dot
    assert '"p:layer1.weight" -> "o:0";' in dot and '"l:0" -> "o:0";' in dot
    assert "Relu [layer1 → relu]" in dot
    assert "∂L/∂· [0, 0, 0.44]" in dot         # small tensors show their gradient


def test_svg_when_dot_is_installed(xor):
    if shutil.which("dot") is None:
        assert xor.to_svg() is None
        pytest.skip("Graphviz 'dot' is not installed")
    svg = xor.to_svg()
    assert "<svg" in svg and "Sigmoid" in svg
