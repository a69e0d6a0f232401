"""explain on convolutions: a kernel weight's (and a bias's) gradient derived as the sum it is,
over samples and output positions, equal to the recorded gradient, to torch's, and exactly so in
exact (Fraction) arithmetic; max pooling's winners."""
from fractions import Fraction

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import explain


def _conv_step(dtype=np.float32, stride=1, padding=0, dilation=1, groups=1, seed=0):
    glassnet.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(4, 4, 3, stride=stride, padding=padding, dilation=dilation,
                                    groups=groups), nn.ReLU(), nn.Flatten())
    if dtype == np.float64:
        model = model.double()
    rng = np.random.default_rng(seed)
    x = glassnet.tensor(rng.standard_normal((3, 4, 7, 6)).astype(dtype))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with explain.record(model, opt) as rec:
        out = model(x)
        loss = (out * out).mean() + out.sum() * 0.01
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, x, rec


GEOMETRIES = [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2), dict(groups=2, padding=1),
              dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2))]


@pytest.mark.parametrize("geo", GEOMETRIES)
def test_the_sum_has_one_term_per_sample_and_output_position_and_equals_the_gradient(geo):
    model, x, rec = _conv_step(np.float64, **geo)
    conv = rec.ops[0]
    n, _, ho, wo = conv.shape
    w = rec.param("0.weight")
    for entry in [(0, 0, 0, 0), (3, 1, 2, 1), (1, 1, 1, 2)]:
        d = rec.derivation(f"0.weight[{', '.join(map(str, entry))}]")
        assert d.count == n * ho * wo
        assert d.agrees
        assert d.value == w.grad[entry]
        assert d.total == pytest.approx(float(w.grad[entry]), rel=1e-12, abs=1e-15)
        shown = float(d.lines[-1][0].rsplit(" = ", 1)[1].replace("−", "-"))
        assert shown == pytest.approx(float(w.grad[entry]), rel=5e-3, abs=1e-6)
    d = rec.derivation("0.bias[2]")
    assert d.count == n * ho * wo and d.agrees


def _brute_weight_grad(xv, g, o, c, i, j, stride, padding, dilation, groups, cout):
    """∂L/∂W[o, c, i, j] by the formula, one loop over n, y, x."""
    s, p, d = stride, padding, dilation
    cin = (o // (cout // groups)) * (xv.shape[1] // groups) + c
    total = 0
    for n in range(g.shape[0]):
        for y in range(g.shape[2]):
            for x in range(g.shape[3]):
                r, q = y * s[0] + i * d[0] - p[0], x * s[1] + j * d[1] - p[1]
                if 0 <= r < xv.shape[2] and 0 <= q < xv.shape[3]:
                    total = total + g[n, o, y, x] * xv[n, cin, r, q]
    return total


@pytest.mark.parametrize("geo", GEOMETRIES)
def test_the_derivation_agrees_with_torch(geo):
    torch = pytest.importorskip("torch")
    model, x, rec = _conv_step(np.float64, **geo)
    conv = model[0]
    tconv = torch.nn.Conv2d(4, 4, 3, stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                            groups=conv.groups).double()
    with torch.no_grad():
        tconv.weight.copy_(torch.from_numpy(rec.param("0.weight").before))
        tconv.bias.copy_(torch.from_numpy(rec.param("0.bias").before))
    out = torch.relu(tconv(torch.from_numpy(x.numpy()))).flatten(1)
    ((out * out).mean() + out.sum() * 0.01).backward()
    tw = tconv.weight.grad.numpy()
    for entry in [(0, 0, 0, 0), (3, 1, 2, 1), (2, 0, 1, 2)]:
        d = rec.derivation(f"0.weight[{', '.join(map(str, entry))}]")
        assert float(d.value) == pytest.approx(float(tw[entry]), rel=1e-12, abs=1e-14)
        g = rec.ops[0].grad_out
        brute = _brute_weight_grad(x.numpy(), g, *entry, conv.stride, conv.padding, conv.dilation,
                                   conv.groups, 4)
        assert brute == pytest.approx(float(tw[entry]), rel=1e-12, abs=1e-14)
    assert rec.derivation("0.bias[1]").value == pytest.approx(float(tconv.bias.grad[1]), rel=1e-12)


def test_exact_arithmetic_reproduces_the_gradient_exactly():
    rng = np.random.default_rng(1)
    frac = np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])
    w = glassnet.tensor(frac(rng.integers(-4, 5, (2, 2, 2, 2))), requires_grad=True)
    b = glassnet.tensor(frac(rng.integers(-4, 5, (2,))), requires_grad=True)
    x = glassnet.tensor(frac(rng.integers(-4, 5, (2, 2, 4, 4))))
    opt = glassnet.optim.SGD([w, b], lr=Fraction(1, 10))
    with explain.record(None, opt, names={"w": w, "b": b, "x": x}) as rec:
        out = F.conv2d(x, w, b, stride=1, padding=1)
        loss = (out * out).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    g = rec.ops[0].grad_out
    for entry in [(0, 0, 0, 0), (1, 1, 1, 0), (0, 1, 1, 1)]:
        d = rec.derivation(f"w[{', '.join(map(str, entry))}]")
        assert d.agrees and d.count == 2 * 5 * 5
        assert isinstance(d.value, Fraction)
        brute = _brute_weight_grad(x.array, g, *entry, (1, 1), (1, 1), (1, 1), 1, 2)
        assert brute == d.value == d.total == w.grad.array[entry]
    d = rec.derivation("b[1]")
    assert d.agrees and d.value == sum(g[:, 1].ravel().tolist(), 0)


def test_the_derivation_shows_the_largest_terms_and_how_many_more():
    _, _, rec = _conv_step(np.float32, stride=2, padding=1)
    text = str(rec.derivation("0.weight[1, 2, 0, 1]"))
    assert "Σ over n, y, x of ∂L/∂" in text and "… " in text and "more" in text
    assert "torch's layout (out_channels, in_channels/groups, kH, kW)" in text
    assert "the recorded gradient from ConvolutionBackward0" in text and "DISAGREE" not in text


def test_max_pooling_winners_are_the_argmax_of_each_window():
    from glassnet.explain.derivation import pool_winners
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 2))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.randn(2, 1, 4, 4)
    with explain.record(model, opt) as rec:
        loss = F.cross_entropy(model(x), glassnet.tensor([0, 1]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    pool = next(op for op in rec.ops if op.op == "MaxPool")
    win = pool_winners(pool)
    a = pool.input_values[0]
    for p in np.ndindex(*pool.shape):
        n, c, y, x_ = p
        window = a[n, c, 2 * y:2 * y + 2, 2 * x_:2 * x_ + 2]
        r, q = np.unravel_index(np.argmax(window), window.shape)
        assert tuple(win[p]) == (n, c, 2 * y + r, 2 * x_ + q)
    assert "won its window" in str(rec.derivation("0.weight[1, 0, 1, 1]"))


def _cnn():
    glassnet.manual_seed(3)
    return nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2, stride=1),
                         nn.Conv2d(4, 4, 2, dilation=2, groups=2), nn.Flatten())


def test_the_receptive_field_is_the_set_of_inputs_that_can_change_the_output():
    model = _cnn().double()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 12, 12))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with explain.record(model, opt) as rec:
        loss = model(glassnet.tensor(x)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    conv2 = next(op for op in rec.ops if op.module == "3")
    # brute force: a NaN at one input entry reaches exactly the outputs that read it (the ReLU is
    # skipped: relu(NaN) may be 0, and a receptive field is about what is read)
    probe = nn.Sequential(model[0], model[2], model[3])
    reached = np.zeros(x.shape + conv2.shape, dtype=bool)
    with glassnet.no_grad():
        for p in np.ndindex(*x.shape):
            xp = x.copy()
            xp[p] = np.nan
            reached[p] = np.isnan(probe(glassnet.tensor(xp)).numpy())
    for index in [(0, 0, 0, 0), (1, 3, 1, 2), (0, 2, 2, 2)]:
        field = rec.receptive_field("3", *index)
        assert field.mask.shape == x.shape
        assert np.array_equal(field.mask, reached[(Ellipsis,) + index])
        assert field.count == int(reached[(Ellipsis,) + index].sum())
        assert "reads" in str(field) and "x[" in str(field)
    one = rec.receptive_field("0", 0, 1, 0, 0)       # a 3×3 kernel at the corner with padding 1
    assert one.count == 2 * 2 * 2 and one.box() == ((0, 0), (0, 1), (0, 1), (0, 1))


def _cifar_step(batch=4, seed=0):
    glassnet.manual_seed(seed)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.pool, self.conv2 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = glassnet.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    model = Net()
    opt = glassnet.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = glassnet.randn(batch, 3, 32, 32), glassnet.randint(0, 10, (batch,))
    with explain.record(model, opt) as rec:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, rec


def test_the_summary_shows_each_conv_layer_per_channel():
    model, rec = _cifar_step()
    layers = rec.conv_summary()
    assert [ly["name"] for ly in layers] == ["conv1", "conv2"]
    conv2 = layers[1]
    assert conv2["out_channels"] == 16 and conv2["activation"] == "relu" and len(conv2["channels"]) == 16
    z = rec.ops[[op.module for op in rec.ops].index("conv2")].output
    dead = np.all(z <= 0, axis=(0, 2, 3))
    assert conv2["dead_channels"] == int(dead.sum())
    grad = model.conv2.weight.grad.numpy().astype(np.float64)
    for c in (0, 7):
        assert conv2["channels"][c]["grad_norm"] == pytest.approx(np.linalg.norm(grad[c]), rel=1e-6)
        assert conv2["channels"][c]["zero_fraction"] == pytest.approx(np.mean(z[:, c] <= 0))
    text = rec.to_text(detail="summary")
    assert "Convolution layers" in text and "Convolution channels" in text
    assert "Convolution layers" in rec.to_html(detail="summary")
    assert len(rec.table("conv channels").rows) == 6 + 16


def test_kernel_and_feature_map_figures_render(tmp_path):
    pytest.importorskip("matplotlib")
    from glassnet import viz
    _, rec = _cifar_step(batch=2)
    figs = rec.conv_figures("conv1", sample=1)
    kernel_axes = [ax for ax in figs["kernels"].axes if ax.images]
    assert len(kernel_axes) == 6 * 3
    limits = {ax.images[0].get_clim() for ax in kernel_axes}
    assert len(limits) == 1                                  # one shared colour scale
    lo, hi = limits.pop()
    assert lo == -hi
    map_axes = [ax for ax in figs["maps"].axes if ax.images]
    assert len({ax.images[0].get_clim() for ax in map_axes}) == 1
    for name, fig in figs.items():
        paths = viz.save(fig, tmp_path / f"{name}.png")
        assert paths[0].stat().st_size > 1000


def test_a_conv_derivation_summarises_the_4d_gradients_it_passes_through():
    """A batch of feature maps has thousands of entries: each step line shows the array's shape
    and range, so the derivation stays readable (and fast)."""
    import glassnet.nn.functional as F
    from glassnet import explain, nn
    glassnet.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5))
    opt = glassnet.optim.SGD(net.parameters(), lr=0.1)
    x, y = glassnet.randn(6, 3, 8, 8), glassnet.tensor([0, 1, 2, 3, 4, 0])
    with explain.record(net, opt) as step:
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    text = str(step.derivation("0.weight[1, 2, 0, 1]"))
    assert "(a 6×4×6×6 array from " in text
    assert max(len(line) for line in text.splitlines()) < 600


def test_fmt_summary_shows_shape_and_range_and_nothing_it_does_not_know():
    from fractions import Fraction

    from glassnet.explain._numbers import fmt_any
    assert fmt_any(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2)) == "(a 2×3×2×2 array from 0 to 23)"
    assert fmt_any(np.array([[[Fraction(1, 2)]], [[Fraction(-3)]]], dtype=object)) == "(a 2×1×1 array from −3 to 0.5)"
    assert fmt_any(np.empty((2, 2, 2), dtype=object)) == "(a 2×2×2 array)"


def test_a_torch_cnn_recording_derives_a_kernel_weight_as_glassnet_does():
    """explain.record on a real PyTorch CNN: the kernel weight's sum equals torch's own .grad."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(3 * 3 * 3, 4))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(5, 2, 6, 6), torch.tensor([0, 1, 2, 3, 0])
    with explain.record(net, opt) as step:
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    d = step.derivation("0.weight[1, 0, 2, 1]")
    assert d.count == 5 * 6 * 6 and abs(float(d.total) - float(net[0].weight.grad[1, 0, 2, 1])) < 1e-6
