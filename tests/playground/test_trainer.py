"""The session's training core: set-up changes, training, weight edits, CSV, export."""
import os
import runpy

import numpy as np
import pytest

from glassnet.playground import points as D
from glassnet.playground.protocol import Config, ProtocolError
from glassnet.playground.frames import decode, to_bytes
from glassnet.playground.trainer import Trainer


def weights(t):
    return [p.array.copy() for p in t.model.parameters()]


def test_training_lowers_the_test_loss_on_the_circle():
    t = Trainer(Config(dataset="circle", learning_rate=0.1, hidden=[4, 2]))
    before = frame(t)["test_loss"]
    for _ in range(1500):
        t.train_step()
    after = frame(t)["test_loss"]
    assert after < 0.6 * before


def test_regression_on_the_plane_learns():
    t = Trainer(Config(problem="regression", dataset="plane", loss="mse", learning_rate=0.01))
    before = frame(t)["test_loss"]
    for _ in range(300):
        t.train_step()
    assert frame(t)["test_loss"] < 0.2 * before


def test_frame_holds_a_64x64_map_per_neuron_and_the_output():
    t = Trainer(Config(hidden=[8, 3]))
    f = frame(t)
    assert [len(layer) for layer in f["maps"]["neurons"]] == [8, 3]
    assert f["maps"]["output"].shape == (64, 64)
    for m in f["maps"]["neurons"][0]:
        assert m.shape == (32, 32)
    assert [np.shape(layer["w"]) for layer in f["layers"]] == [(8, 2), (3, 8), (1, 3)]
    t.train_step()
    f = frame(t)
    assert np.shape(f["layers"][0]["gw"]) == (8, 2) and np.shape(f["layers"][2]["ub"]) == (1,)


def test_heat_map_bytes_span_minus_one_to_one_and_mark_non_finite_values():
    raw = to_bytes(np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.nan, np.inf, -np.inf]))
    assert list(raw) == [1, 1, 128, 255, 255, 0, 0, 0]


def frame(t):
    return decode(t.frame())


def test_same_seed_same_start_and_reset_returns_to_it():
    a, b = Trainer(Config(seed=7)), Trainer(Config(seed=7))
    for x, y in zip(weights(a), weights(b)):
        np.testing.assert_array_equal(x, y)
    start = weights(a)
    for _ in range(20):
        a.train_step()
    a.reset()
    for x, y in zip(weights(a), start):
        np.testing.assert_array_equal(x, y)
    assert a.steps == 0


def test_learning_rate_change_keeps_weights_and_data_change_rebuilds():
    t = Trainer(Config())
    for _ in range(5):
        t.train_step()
    w = weights(t)
    t.apply({"learning_rate": 0.3})
    assert t.optimizer.param_groups[0]["lr"] == 0.3
    for x, y in zip(weights(t), w):
        np.testing.assert_array_equal(x, y)
    pts = t.points.x_train.copy()
    t.apply({"noise": 30})
    assert t.steps == 0 and not np.array_equal(pts, t.points.x_train)


def test_switching_problem_picks_a_fitting_data_set_and_loss():
    t = Trainer(Config())
    t.apply({"problem": "regression"})
    assert (t.cfg.dataset, t.cfg.loss) == ("plane", "mse")
    with pytest.raises(ProtocolError, match="does not fit"):
        t.apply({"dataset": "spiral"})
    assert t.cfg.dataset == "plane"          # a refused change leaves the set-up as it was


@pytest.mark.parametrize("name", ["circle", "xor", "gaussian", "spiral", "moons"])
def test_every_classification_set_has_two_classes_and_a_square_domain(name):
    t = Trainer(Config(dataset=name, noise=20, train_ratio=70))
    y = np.concatenate([t.points.y_train, t.points.y_test])
    assert set(np.unique(y)) == {0.0, 1.0} and len(y) == 500
    assert len(t.points.y_train) == 350
    assert t.points.domain == (-6.0, 6.0)            # TF's fixed square, whatever the noise
    assert Trainer(Config(dataset=name, noise=50)).points.domain == (-6.0, 6.0)
    inside = (np.abs(t.points.x_train) <= 6).all(axis=1).mean()
    assert inside > 0.9


@pytest.mark.parametrize("name", ["plane", "multigauss", "bump"])
def test_regression_sets_are_tfs_on_the_fixed_square(name):
    t = Trainer(Config(problem="regression", dataset=name, loss="mse", n_points=400))
    x = np.concatenate([t.points.x_train, t.points.x_test])
    y = np.concatenate([t.points.y_train, t.points.y_test])
    assert t.points.domain == (-6.0, 6.0) and (np.abs(x) <= 6).all()
    assert y.min() >= -1 and y.max() <= 1 and y.min() < -0.5 and y.max() > 0.5
    if name == "plane":
        np.testing.assert_allclose(y, np.clip(x.sum(axis=1) / 10, -1, 1), atol=1e-6)
    if name == "multigauss":                         # the bump at (-4, 2.5) is +1, at (0, 2.5) is -1
        near = lambda cx, cy: y[np.hypot(x[:, 0] - cx, x[:, 1] - cy) < 0.5]
        assert (near(-4, 2.5) > 0.7).all() and (near(0, 2.5) < -0.7).all()


def test_every_feature_and_activation_builds_and_trains():
    t = Trainer(Config(features=list(D.FEATURES), hidden=[3, 3, 3, 3, 3, 3]))
    assert t.sizes == [7, 3, 3, 3, 3, 3, 3, 1]
    for act in ("relu", "tanh", "sigmoid", "linear"):
        for opt in ("sgd", "momentum", "adam", "rmsprop"):
            t.apply({"activation": act, "optimizer": opt})
            assert np.isfinite(t.train_step())


def test_regularisation_shrinks_the_weights():
    plain = Trainer(Config(learning_rate=0.1))
    l2 = Trainer(Config(learning_rate=0.1, regularization="l2", reg_rate=0.3))
    for _ in range(200):
        plain.train_step()
        l2.train_step()
    norm = lambda t: sum(float((lin.weight.array ** 2).sum()) for lin in t.linears)  # noqa: E731
    assert norm(l2) < 0.5 * norm(plain)


def test_xor_preset_is_the_seeds_network():
    t = Trainer()
    t.preset_xor_step()
    assert t.sizes == [2, 2, 1] and t.cfg.activation == "sigmoid" and t.cfg.learning_rate == 1.0
    import glassnet
    out = t.model(glassnet.tensor([[1.0, 0.0]])).sigmoid().item()
    assert out == pytest.approx(0.970, abs=5e-4)    # the seed: ŷ = σ(3.48) ≈ 0.970


def test_set_weight_edits_one_number_and_checks_the_index():
    t = Trainer(Config(hidden=[4, 2]))
    t.set_weight(1, 1, 3, 2.5)
    assert t.linears[1].weight.array[1, 3] == 2.5
    t.set_weight(2, 0, None, -1.25)
    assert t.linears[2].bias.array[0] == -1.25
    with pytest.raises(ProtocolError, match="outside"):
        t.set_weight(0, 4, 0, 1.0)
    with pytest.raises(ProtocolError, match="does not exist"):
        t.set_weight(3, 0, 0, 1.0)


GOOD_CSV = "x1,x2,label\n" + "\n".join(f"{i % 7 - 3},{i % 5 - 2},{i % 2}" for i in range(40))


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("a,b,c\n1,2,0\n", "at least"),
    ("1,2\n3,4\n5,6\n7,8\n", "expected 3"),
    ("1,2,0\n3,4,1\n5,x,0\n7,8,1\n", "not numeric"),
    ("1,2,0\n3,4,2\n5,6,0\n7,8,1\n", "labels must be 0 and 1"),
    ("1,2,0\n3,4,nan\n5,6,0\n7,8,1\n", "NaN"),
    ("\n".join("1,2,0" for _ in range(2001)), "at most 2000"),
])
def test_bad_csv_gets_a_clear_message(text, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        D.parse_csv(text, "classification")


def test_csv_upload_becomes_the_data_set():
    t = Trainer(Config(train_ratio=50))
    t.load_csv("mine.csv", GOOD_CSV)
    assert t.cfg.dataset == "csv" and len(t.points.y_train) == 20
    assert t.state()["upload_name"] == "mine.csv"
    x, y = D.parse_csv("1;2;-1\n3;4;1\n5;6;1\n7;8;-1\n", "classification")
    assert y.tolist() == [0, 1, 1, 0]
    x, y = D.parse_csv("1,2,3.5\n3,4,-7\n5,6,0\n7,8,1\n", "regression")
    assert y.tolist() == [3.5, -7, 0, 1]


def test_export_loads_in_pytorch_and_predicts_the_same(tmp_path):
    torch = pytest.importorskip("torch")
    from glassnet.playground import export as X
    t = Trainer(Config(features=["x1", "x2", "x1x2", "sin(x1)"], hidden=[5, 3], activation="relu"))
    for _ in range(50):
        t.train_step()
    name = "model.safetensors"
    (tmp_path / name).write_bytes(X.safetensors_bytes(t.model.state_dict()))
    (tmp_path / "load.py").write_text(X.torch_code(t.cfg, t.sizes, name))
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        ns = runpy.run_path("load.py")
    finally:
        os.chdir(cwd)
    pts = t.points.x_test[:20]
    theirs = ns["predict"](torch.tensor(pts)).numpy()
    import glassnet
    with glassnet.no_grad():
        ours = t.model(glassnet.tensor(D.features(pts, t.cfg.features))).sigmoid().array[:, 0]
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)


def test_step_through_with_regularisation_counts_the_penalty():
    from glassnet.playground.stepper import explain_point
    t = Trainer(Config(hidden=[3], regularization="l2", reg_rate=0.1, optimizer="momentum"))
    for _ in range(3):
        t.train_step()
    m = explain_point(t, "train", 0)
    doc = m["record"]
    data_loss = next(o["value"] for o in doc["ops"] if o["op"] == "BinaryCrossEntropyWithLogits")
    assert doc["effect"]["loss_before"] > data_loss          # the penalty is part of the step's loss
    phases = [s["phase"] for s in m["steps"]]
    assert phases.count("forward") == 3 + 1 and phases.count("loss") == 1 and phases.count("update") == 4
    assert any("penalty" in s["html"] for s in m["steps"] if s["phase"] == "backward")
    # the recorded weight gradient is the data part plus rate * w (L2)
    e = doc["layers"][1]["edges"][0]
    a = doc["layers"][0]["neurons"][0]["a"]
    gz = doc["layers"][1]["neurons"][0]["grad_z"]
    assert e["grad"] == pytest.approx(gz * a + 0.1 * e["weight"], rel=1e-4, abs=1e-6)


def test_tabs_training_at_once_share_the_cpu():
    from glassnet.playground.session import Session
    crowd = {"n": 1}
    s = Session(fps=30, crowd=lambda: crowd["n"])
    assert s.pace() == (pytest.approx(1 / 30), 0.8)
    crowd["n"] = 10                                   # a crowd: frames first, training in the time between
    assert s.pace() == (pytest.approx(0.04), 1.0)
    s._frame_cpu = 0.004                              # frames of 4 ms: 10 tabs' take at most half the CPU
    assert s.pace() == (pytest.approx(0.08), 1.0)
    crowd["n"] = 30                                   # a classroom: at least 12 frames/s each on the 2-D page
    assert s.pace() == (pytest.approx(1 / 12), 1.0) and s.crowd_interval == pytest.approx(1 / 12)
    from glassnet.playground.text_session import TextSession
    t = TextSession(fps=30, crowd=lambda: crowd["n"])  # the Text page's goal is 2/s: at least 4/s each
    t._frame_cpu = 0.004
    assert t.pace() == (pytest.approx(0.24), 1.0)
    crowd["n"] = 64
    assert t.pace() == (pytest.approx(0.25), 1.0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_every_number_of_a_step_through_is_a_value_of_the_recording(activation):
    import re
    from glassnet.playground.stepper import explain_point, pointer
    t = Trainer(Config(hidden=[3, 2], activation=activation, features=["x1", "x2", "x1x2"]))
    for _ in range(5):
        t.train_step()
    m = explain_point(t, "train", 1)
    doc, shown = m["record"], {}
    for s in m["steps"] + [m["point"]]:
        for path, value in re.findall(r'data-path="([^"]*)" data-value="([^"]*)"', s["html"]):
            assert float(value) == pointer(doc, path), path      # no number is computed outside the JSON
            shown[path] = float(value)
    assert not any(k.startswith(("inputs/", "derived/")) for k in shown)
    feats = t.x_train[1]
    assert [shown[f"layers/0/x/{i}"] for i in range(3)] == [float(v) for v in feats]
    assert sum(k.endswith("/slope") for k in shown) == 3 + 2     # one per hidden unit
