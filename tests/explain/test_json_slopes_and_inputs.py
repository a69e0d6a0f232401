"""The JSON's per-neuron activation slope g′(z) and per-layer input values ``x`` (schema
``glassnet.explain/1``, added within version 1): right values, and the schema still holds."""
import numpy as np
import pytest

import glassnet
from glassnet import explain
from glassnet.explain import validate

nn = glassnet.nn
RTOL_F32 = 1e-5      # float32 recordings against a float64 forward pass computed here


def _step(model, x, y, loss=nn.functional.mse_loss):
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with explain.record(model, opt) as step:
        out = loss(model(x), y)
        opt.zero_grad()
        out.backward()
        opt.step()
    return step


def _eight_by_eight():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    return _step(model, glassnet.randn(10, 2), glassnet.randn(10, 1))


def _column(per_sample):
    """A neuron's per-sample value as a float array (one entry per sample)."""
    return np.atleast_1d(np.asarray(per_sample, dtype=np.float64))


@pytest.fixture(scope="module")
def eight_by_eight():
    return _eight_by_eight()


@pytest.mark.parametrize("name", ["flip_exact", "flip_f32", "flip_f32_batch", "xor", "eight_by_eight"])
def test_json_with_slopes_and_inputs_validates_against_the_schema(name, request):
    pytest.importorskip("jsonschema", reason="jsonschema validates the JSON output")
    doc = request.getfixturevalue(name).to_dict(version=1)
    validate(doc)
    for ly in doc["layers"]:
        assert "x" in ly and len(ly["x"]) == ly["in_features"]
        assert all("slope" in n for n in ly["neurons"])


def test_documents_without_the_new_fields_still_validate(xor):
    pytest.importorskip("jsonschema", reason="jsonschema validates the JSON output")
    doc = xor.to_dict(version=1)
    for ly in doc["layers"]:
        del ly["x"]
        for n in ly["neurons"]:
            del n["slope"]
    validate(doc)                  # a version-1 document written before the fields existed


def test_schema_rejects_a_slope_that_is_not_a_number(xor):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates the JSON output")
    doc = xor.to_dict(version=1)
    doc["layers"][0]["neurons"][0]["slope"] = "0.07"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_slopes_match_a_forward_pass_computed_here():
    """relu′ = 1 or 0, tanh′ = 1 − a², σ′ = a(1 − a), from NumPy's own forward pass."""
    glassnet.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3),
                          nn.Sigmoid(), nn.Linear(3, 1))
    x = glassnet.randn(6, 3)
    weights = [(m.weight.array.astype(np.float64), m.bias.array.astype(np.float64))
               for m in model if isinstance(m, nn.Linear)]
    doc = _step(model, x, glassnet.randn(6, 1)).to_dict(version=1)
    h = x.array.astype(np.float64)
    slope_of = {"relu": lambda z, a: (z > 0).astype(np.float64),
                "tanh": lambda z, a: 1 - a * a,
                "sigmoid": lambda z, a: a * (1 - a)}
    act_of = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    assert [ly["activation"] for ly in doc["layers"]] == ["relu", "tanh", "sigmoid", None]
    for ly, (w, b) in zip(doc["layers"], weights):
        np.testing.assert_allclose(np.array(ly["x"], dtype=np.float64).T, h, rtol=RTOL_F32, atol=1e-6)
        z = h @ w.T + b
        act = ly["activation"]
        if act is None:
            assert all(n["slope"] is None for n in ly["neurons"])
            break
        a = act_of[act](z)
        expected = slope_of[act](z, a)
        for i, n in enumerate(ly["neurons"]):
            got = _column(n["slope"])
            if act == "relu":
                away = np.abs(z[:, i]) > 1e-4            # clear of the kink, where float32 may round across
                assert away.any()
                assert set(got.tolist()) <= {0.0, 1.0}
                np.testing.assert_array_equal(got[away], expected[away, i])
            else:
                np.testing.assert_allclose(got, expected[:, i], rtol=1e-4, atol=1e-6)
        h = a


def test_slope_is_the_factor_backward_used(xor, flip_f32_batch):
    for rec in (xor, flip_f32_batch):
        for ly in rec.to_dict(version=1)["layers"]:
            for n in ly["neurons"]:
                if n["slope"] is None:
                    continue
                np.testing.assert_allclose(_column(n["grad_z"]), _column(n["grad_a"]) * _column(n["slope"]),
                                           rtol=RTOL_F32, atol=1e-7)


def test_seed_003_slopes_are_sigmoid_slopes(xor):
    doc = xor.to_dict(version=1)
    for ly in doc["layers"]:
        assert ly["activation"] == "sigmoid"
        for n in ly["neurons"]:
            a = n["a"]
            assert n["slope"] == pytest.approx(a * (1 - a), rel=1e-12)
    h1 = doc["layers"][0]["neurons"][0]
    assert h1["z"] == 2.5 and h1["slope"] == pytest.approx(0.0701, abs=1e-4)   # σ′(2.5) ≈ 0.0701
    assert doc["layers"][0]["x"] == [1.0, 0.0]                                  # the seed's point (1, 0)
    assert doc["layers"][1]["x"] == [n["a"] for n in doc["layers"][0]["neurons"]]


def test_seed_002_relu_at_zero_has_slope_zero_like_backward(flip_exact):
    doc = flip_exact.to_dict(version=1)
    layer1, layer2 = doc["layers"]
    assert [n["z"] for n in layer1["neurons"]] == [0.0, -0.1, 0.5]
    assert [n["slope"] for n in layer1["neurons"]] == [0, 0, 1]     # relu′(0) = 0, as backward uses it
    assert layer1["neurons"][0]["grad_z"] == 0
    assert all(n["slope"] is None for n in layer2["neurons"])        # layer2 has no activation
    assert layer1["x"] == [1.0, 0.0, 1.0, 1.0]


def test_tanh_slope_in_the_8_by_8_network(eight_by_eight):
    tanh_layer = eight_by_eight.to_dict(version=1)["layers"][0]
    assert tanh_layer["activation"] == "tanh" and len(tanh_layer["neurons"]) == 8
    for n in tanh_layer["neurons"]:
        a = _column(n["a"])
        assert len(a) == 10
        np.testing.assert_allclose(_column(n["slope"]), 1 - a * a, rtol=1e-12)


def test_inputs_past_the_size_limit_are_null():
    model = nn.Sequential(nn.Linear(4100, 1), nn.Sigmoid())
    doc = _step(model, glassnet.ones(1, 4100), glassnet.ones(1, 1)).to_dict(version=1)
    assert doc["layers"][0]["x"] is None
    pytest.importorskip("jsonschema", reason="jsonschema validates the JSON output")
    validate(doc)


def test_fmt_is_public_and_is_the_renderers_formatter():
    from glassnet.explain import _numbers
    assert explain.fmt is _numbers.fmt
    assert "fmt" in explain.__all__
    assert explain.fmt(-0.5) == "−0.5" and explain.fmt(0.07010371292573936) == "0.0701"
