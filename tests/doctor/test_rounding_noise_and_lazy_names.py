"""Two doctor fixes found on d2l's programs: a parameter whose gradient is only rounding noise
around 0 (a convolution's bias right before a batch norm) is not "gets gradients but never
changes", and torch lazy layers first called one by one at the top level (d2l's layer_summary)
get distinct names (a LazyConv2d is still lazy when first called, the one before has become a
Conv2d)."""
import textwrap

import pytest

from glassnet.doctor.runner import diagnose_script

SCRIPT = """
import {lib} as torch
nn = torch.nn
X = torch.cos(torch.arange(4 * 8 * 8, dtype=torch.float32) * 0.013).reshape(4, 1, 8, 8)
y = torch.tensor([0, 1, 2, 1])
net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                    nn.Linear(256, 3))
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + i).reshape(p.shape) * 0.8)
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for step in range(3):
    loss = nn.functional.cross_entropy(net(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize("lib", ["glassnet", "torch"])
def test_a_bias_before_a_batch_norm_is_not_a_parameter_that_never_trains(lib, tmp_path):
    if lib == "torch":
        pytest.importorskip("torch")
    path = tmp_path / "bias_before_bn.py"
    path.write_text(textwrap.dedent(SCRIPT.format(lib=lib)))
    report = diagnose_script(path, steps=3)
    assert report.steps_observed == 3
    assert [f for f in report.findings if f.id == "no-training"] == []


def test_torch_lazy_layers_called_at_the_top_level_get_distinct_names():
    torch = pytest.importorskip("torch")
    from glassnet.observe.hooks import name_root
    a, b, c = torch.nn.LazyConv2d(4, 3), torch.nn.LazyConv2d(4, 3), torch.nn.Conv2d(4, 4, 3)
    roots, names = [], {}
    name_root(a, roots, names)
    a(torch.zeros(1, 2, 5, 5))          # a is a Conv2d now; b is still a LazyConv2d
    name_root(b, roots, names)
    name_root(c, roots, names)
    assert [names[id(m)] for m in (a, b, c)] == ["Conv2d", "Conv2d#2", "Conv2d#3"]


def test_a_root_is_named_as_the_script_names_it():
    """A model held by a global variable of the script is reported under that name (a GAN's
    ``netD.0.weight``, not ``Sequential#2.0.weight``); elsewhere, or held only by a local, by its
    class."""
    import sys
    import glassnet
    from glassnet.observe.hooks import name_root
    source = sys._getframe().f_code.co_filename
    globals()["netD_for_naming"] = glassnet.nn.Sequential(glassnet.nn.Linear(2, 2))
    local = glassnet.nn.Sequential(glassnet.nn.Linear(2, 2))
    try:
        roots, names = [], {}
        name_root(local, roots, names, source)
        name_root(globals()["netD_for_naming"], roots, names, source)
        name_root(glassnet.nn.Linear(2, 2), roots, names, None)
        assert [names[id(r)] for r in roots] == ["Sequential", "netD_for_naming", "Linear"]
        assert names[id(roots[1][0])] == "netD_for_naming.0"
    finally:
        del globals()["netD_for_naming"]
