"""glassnet.explain at real sizes: summary first, detail on demand, JSON /2 with compact arrays.

(Speed is measured in benchmarks/bench_explain.py, never asserted here.)"""
import json

import numpy as np
import pytest

import glassnet
from glassnet import explain, nn
from glassnet.explain import summary
from glassnet.explain.render import FORMATS, render

MB = 1_000_000


def _mlp_step(sizes, batch, seed=0, act=nn.ReLU, zero_columns=0):
    glassnet.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), act()]
    model = nn.Sequential(*layers[:-1])
    opt = glassnet.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    x[:, :zero_columns] = 0                     # blank "border pixels"
    y = rng.integers(0, sizes[-1], batch)
    with explain.record(model, opt) as step:
        loss = nn.functional.cross_entropy(model(glassnet.tensor(x)), glassnet.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


@pytest.fixture(scope="module")
def mnist_step():
    return _mlp_step([784, 256, 10], 32, zero_columns=40)


@pytest.fixture(scope="module")
def small_step():
    return _mlp_step([3, 5, 2], 4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_784_256_10_step_renders_in_every_format_within_a_size_bound(mnist_step, fmt):
    out = render(mnist_step, fmt)
    assert 1_000 < len(out.encode()) <= MB
    assert "0.weight" in out
    if fmt == "json":
        doc = json.loads(out)
        explain.validate(doc)
        assert doc["detail"] == "summary" and doc["arrays"] is None
    else:
        assert "Summary view" in out and ("(256, 784)" in out or fmt == "text")


def test_the_size_limit_chooses_the_view_and_detail_forces_it(small_step, mnist_step):
    assert summary.size(small_step)["parameters"] == 3 * 5 + 5 + 5 * 2 + 2
    assert small_step.detail_level() == "full" and mnist_step.detail_level() == "summary"
    assert "Forward pass, per layer and unit" in small_step.to_text()
    assert "Forward pass, per layer and unit" not in small_step.to_text(detail="summary")
    assert "Forward pass, per layer and unit" not in mnist_step.to_markdown()
    with pytest.raises(ValueError, match="detail must be one of"):
        small_step.to_html(detail="everything")


def test_summaries_match_numpy(mnist_step):
    p = mnist_step.param("0.weight")
    s = next(d for d in summary.param_summaries(mnist_step) if d["name"] == "0.weight")
    w, g, d = p.before.astype(np.float64), p.grad.astype(np.float64), (p.after - p.before).astype(np.float64)
    assert s["value"]["norm"] == pytest.approx(np.linalg.norm(w), rel=1e-9)
    assert s["grad"]["max"] == pytest.approx(g.max(), rel=1e-9)
    assert s["update_to_weight"] == pytest.approx(np.linalg.norm(d) / np.linalg.norm(w), rel=1e-9)
    assert s["zero_grad"] == int(np.sum(p.grad == 0)) >= 40 * 256      # the blank inputs' weights
    ly = summary.layer_summaries(mnist_step)[0]
    z = mnist_step.forward_ops[0].output
    assert ly["dead_units"] == int(np.sum(np.all(z <= 0, axis=0)))


def test_largest_gradients_are_the_largest_and_have_their_derivation(mnist_step):
    top = summary.largest(mnist_step, "grad", k=3)
    every = sorted(((abs(float(v)), p.name) for p in mnist_step.params for v in np.ravel(p.grad)),
                   reverse=True)
    assert [abs(e["grad"]) for e in top] == pytest.approx([v for v, _ in every[:3]])
    d = mnist_step.derivation(top[0]["entry"])
    assert d.agrees and d.value == pytest.approx(top[0]["grad"])
    html = mnist_step.to_html()
    assert "<details><summary>∂L/∂" in html          # the derivation, one click away


def test_zero_input_entries_are_grouped_in_one_insight(mnist_step):
    found = [i for i in mnist_step.insights() if i.kind == "zero_input"]
    assert len(found) == 1 and found[0].data["count"] == 40
    assert "40 inputs of 0 are 0 in every sample" in found[0].message


def test_json_full_detail_has_compact_arrays(small_step):
    doc = small_step.to_dict(detail="full")
    explain.validate(doc)
    arr = next(a for a in doc["arrays"]["parameters"] if a["name"] == "0.weight")
    assert arr["before"]["shape"] == [5, 3]
    np.testing.assert_array_equal(np.array(arr["before"]["data"], dtype=np.float32),
                                  small_step.param("0.weight").before.ravel())
    assert len(doc["arrays"]["ops"]) == len(small_step.forward_ops)
    assert small_step.to_dict()["schema"] == "glassnet.explain/1"      # small: /1 unless asked
    summary_doc = small_step.to_dict(version=2)
    explain.validate(summary_doc)
    assert summary_doc["arrays"] is None and summary_doc["detail"] == "summary"
    assert summary_doc["parameters"] == doc["parameters"]


def test_json_rejects_one_object_per_entry_in_arrays(small_step):
    jsonschema = pytest.importorskip("jsonschema")
    doc = small_step.to_dict(detail="full")
    doc["arrays"]["parameters"][0]["before"] = [{"index": 0, "value": 1.0}]
    with pytest.raises(jsonschema.ValidationError):
        explain.validate(doc)


def test_table_on_demand_shows_rows_elided_like_numpy(mnist_step):
    t = mnist_step.table("0.weight", rows=[3, 7])
    assert [r[0] for r in t.rows] == ["0.weight[3]", "0.weight[7]"]
    assert t.columns[:3] == ["unit", "old", "gradient"]
    old = t.rows[0][1]
    assert old.count("…") == 1 and old.count(",") == 6            # 3 first, …, 3 last
    full = mnist_step.table("0.weight", rows=slice(0, 1), full=True)
    assert full.rows[0][1].count(",") == 783
    assert mnist_step.table("z").title.startswith("z (32, 256)")
    with pytest.raises(IndexError, match="out of range"):
        mnist_step.table("0.weight", rows=[256])
    with pytest.raises(KeyError, match="no view, parameter or op named"):
        mnist_step.table("nope")
    assert mnist_step.table("update").note.startswith("showing the 200 largest changes")
    assert [r[0] for r in mnist_step.table("parameters").rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(mnist_step.table("ops summary").rows) == len(mnist_step.forward_ops)


def test_path_follows_the_entry_to_the_loss(mnist_step):
    p = mnist_step.path("0.weight[3, 5]")
    ops = [h.op for h in p.hops]
    assert ops[:3] == ["Linear", "Relu", "Linear"] and p.hops[-1].op == "CrossEntropy"
    assert p.hops[0].count == 32 and p.hops[0].entries[0] == (0, 3)    # z[r, 3] for every sample r
    assert str(p).startswith("0.weight[3, 5]\n  → z[0, 3]")


def test_update_table_keeps_the_largest_changes_in_order():
    step = _mlp_step([8, 30, 4], 6, seed=1)
    rows = step.update_table().rows
    every = sorted(((abs(float(p.after[i]) - float(p.before[i])), p.name, i)
                    for p in step.params for i in np.ndindex(*p.before.shape)), key=lambda r: -r[0])
    assert [abs(float(r[4])) for r in rows] == pytest.approx([v for v, _, _ in every[:200]])


def test_vectorised_zero_gradient_reasons_match_the_entry_by_entry_ones():
    from glassnet.explain.insights import zero_grad_counts, zero_grad_reasons
    for seed in range(4):
        step = _mlp_step([6, 7, 5, 3], 3, seed=seed, zero_columns=2)
        slow = {k: len(v) for k, v in zero_grad_reasons(step).items()}
        assert list(zero_grad_counts(step).items()) == list(slow.items())
