"""Round two without a browser: the step-through for every loss and penalty, divergence and
warnings, share links field by field, and the binary frame."""
import re

import numpy as np
import pytest

from glassnet.playground import frames as F
from glassnet.playground import health as H
from glassnet.playground import links as K
from glassnet.playground.protocol import Config, ProtocolError
from glassnet.playground.stepper import explain_point, pointer
from glassnet.playground.trainer import Trainer

LOSSES = [("classification", "bce"), ("classification", "mse"), ("regression", "mse"), ("regression", "l1")]


@pytest.mark.parametrize("problem,loss", LOSSES)
@pytest.mark.parametrize("reg", ["none", "l1", "l2"])
def test_every_loss_steps_through_with_and_without_a_penalty(problem, loss, reg):
    t = Trainer(Config(problem=problem, dataset="circle" if problem == "classification" else "multigauss",
                       loss=loss, regularization=reg, reg_rate=0.0 if reg == "none" else 0.1, learning_rate=0.1))
    for _ in range(10):
        t.train_step()
    m = explain_point(t, "train", 2)
    doc = m["record"]
    for s in m["steps"] + [m["point"]]:
        for path, value in re.findall(r'data-path="([^"]*)" data-value="([^"]*)"', s["html"]):
            assert float(value) == pointer(doc, path), path
    loss_html = next(s["html"] for s in m["steps"] if s["phase"] == "loss")
    assert ("penalty" in loss_html) == (reg != "none")
    assert "BinaryCrossEntropyWithLogits(" not in loss_html
    # the loss after the step uses the new weights and the new penalty
    eff = doc["effect"]
    assert eff["change_percent"] == pytest.approx(100 * (eff["loss_after"] - eff["loss_before"]) / eff["loss_before"])
    # each weight's gradient line: its shares add up to the recorded gradient
    for s in m["steps"]:
        if s["phase"] == "backward" and "weight w" in s["title"] and reg != "none":
            shares = [float(v) for v in re.findall(r'data-derived="[^"]*share[^"]*" data-value="([^"]*)"', s["html"])]
            grad = float(re.findall(r'data-path="[^"]*/grad" data-value="([^"]*)"', s["html"])[-1])
            assert len(shares) == 2 and sum(shares) == pytest.approx(grad, rel=1e-4, abs=1e-6), s["title"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the overflow is the point
def test_divergence_names_the_step_and_where_it_began():
    t = Trainer(Config(problem="regression", dataset="plane", loss="mse", activation="relu", learning_rate=10.0))
    for _ in range(200):
        loss = t.train_step()
        if not np.isfinite(loss):
            break
    assert not np.isfinite(loss)
    d = H.diagnose_divergence(t, t.last_batch, loss)
    assert d["step"] == t.steps and f"diverged at step {t.steps}" in d["message"]
    assert "layer" in d["where"] or "loss" in d["where"]


def test_a_dead_relu_and_a_stalled_loss_are_warned_about():
    t = Trainer(Config(activation="relu"))
    for col in range(2):
        t.set_weight(0, 1, col, 0.0)
    t.set_weight(0, 1, None, -50.0)
    kinds = {(w["kind"], w["where"]) for w in H.live_warnings(t)}
    assert ("dead_relu", "hidden layer 1") in kinds
    history = [(s * 10, 0.5, 0.5) for s in range(H.STALL_WINDOW)]
    assert H.stalled_loss(history)["kind"] == "stalled"
    assert H.stalled_loss([(s * 10, 1.0 - s / 100, None) for s in range(H.STALL_WINDOW)]) is None


def test_link_fields_apply_one_by_one_and_weights_round_trip():
    t = Trainer()
    problems = K.apply_fields(t, {"noise": "99", "hidden": "3,5", "activation": "relu", "seed": "x"})
    assert t.cfg.hidden == [3, 5] and t.cfg.activation == "relu" and t.cfg.noise == 0 and t.cfg.seed == 1
    assert len(problems) == 2 and any("noise" in p for p in problems) and any("seed" in p for p in problems)
    shapes = [tuple(p.shape) for p in t.model.parameters()]
    arrays = [p.array.copy() for p in t.model.parameters()]
    back = K.decode_weights(K.encode_weights(arrays), shapes)
    for a, b in zip(arrays, back):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ProtocolError, match="this network has"):
        K.decode_weights("AAAA", shapes)


def test_the_default_frame_is_compact_and_decodes():
    t = Trainer()
    t.train_step()
    blob = t.frame(playing=True, ack=3, steps_per_s=12.5)
    assert len(blob) <= 16 * 1024
    f = F.decode(blob)
    assert f["ack"] == 3 and f["playing"] and f["has_g"] and f["has_u"]
    np.testing.assert_array_equal(f["layers"][0]["w"], t.linears[0].weight.array)
    np.testing.assert_array_equal(f["layers"][2]["gb"], t.last_grads[5])
    assert f["maps"]["output"].shape == (64, 64) and f["maps"]["neurons"][1][1].shape == (32, 32)


def test_an_update_that_float32_rounds_away_from_lr_grad_is_explained():
    t = Trainer(Config(learning_rate=1e-5))
    t.set_weight(2, 0, None, 300.0)          # ulp(300) = 3.05e-5 > 2 lr·grad: 300 - lr·grad rounds back to 300
    index = int(np.flatnonzero(t.points.y_train == 0)[0])     # target 0: ∂L/∂b = σ(ŷ) - t = 1
    m = explain_point(t, "train", index)
    bias = m["record"]["layers"][2]["neurons"][0]["bias"]
    assert bias["grad"] == pytest.approx(1.0) and bias["update"] == 0.0      # the recorded float32 step
    html = next(s["html"] for s in m["steps"] if s["phase"] == "update" and "output neuron" in s["title"])
    assert 'class="note rounding"' in html and "rounded to the nearest float32" in html
    # a note exactly where the printed update and the printed −lr·grad differ
    from glassnet.explain import fmt
    plain = explain_point(Trainer(Config(learning_rate=0.03)), "train", 0)
    notes = sum(s["html"].count('class="note rounding"') for s in plain["steps"])
    differ = sum(fmt(e["update"]) != fmt(-0.03 * e["grad"])
                 for ly in plain["record"]["layers"] for e in ly["edges"] + [n["bias"] for n in ly["neurons"]])
    assert notes == differ


def test_saturated_units_are_warned_about_in_plain_json():
    import json
    t = Trainer(Config(activation="sigmoid", hidden=[3]))
    for col in range(2):
        t.set_weight(0, 0, col, 0.0)
    t.set_weight(0, 0, None, 30.0)                  # neuron 1 of hidden layer 1: σ(30), slope ~1e-13
    warnings = H.live_warnings(t)
    sat = [w for w in warnings if w["kind"] == "saturated"]
    assert sat and sat[0]["where"] == "hidden layer 1" and sat[0]["units"] == [1]
    json.dumps(warnings)                            # what the session sends
