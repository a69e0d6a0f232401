"""explain_text: what ``glassnet explain LESSON`` prints, for both examples and every format."""
import json

import pytest

from glassnet.explain import FORMATS, validate
from glassnet.lessons.examples import explain_text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", ["diagonal-flip", "xor-worked-example"])
def test_every_format(example, fmt):
    out = explain_text(example, fmt=fmt)
    assert isinstance(out, str) and len(out) > 500
    if fmt == "json":
        validate(json.loads(out))


def test_exact_and_entry():
    out = explain_text("diagonal-flip", fmt="markdown", exact=True, entry="layer2.bias[3]")
    assert "∂L/∂layer2.bias[3] = 1/4 · 2·(ŷ − t)[3] = 0.25 · (−2.5) = −0.625" in out
    assert "dtype exact" in out
    out = explain_text("diagonal-flip", fmt="markdown", entry=["layer1.bias[2]", "layer2.weight[3, 2]"])
    assert "∂L/∂layer1.bias[2] = " in out and "∂L/∂layer2.weight[3, 2] = " in out


def test_errors_name_the_choices():
    with pytest.raises(ValueError, match="diagonal-flip, xor-worked-example"):
        explain_text("spiral")
    with pytest.raises(ValueError, match=r"has shape \(3, 4\)"):
        explain_text("diagonal-flip", entry="layer1.weight[5, 0]")
    with pytest.raises(KeyError, match="no parameter named 'layer3.weight'"):
        explain_text("diagonal-flip", entry="layer3.weight[0, 0]")
