"""The Images page's server side: its messages, the trainer, frames and step-through against an
independent glassnet.explain recording, the export in torch, the WebSocket session."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

import glassnet
from glassnet import explain
from glassnet.explain.summary import conv_arrays
from glassnet.playground.frames import decode_arrays
from glassnet.playground.images import ImagesTrainer, build_model
from glassnet.playground.images_protocol import ImagesConfig, parse_images_message, read_link_field
from glassnet.playground.images_session import image_warnings
from glassnet.playground.imagestep import explain_value
from glassnet.playground.protocol import ProtocolError

from .conftest import PageClient

ONE = [0.0] * 64
for _r in range(1, 7):
    ONE[_r * 8 + 4] = 1.0          # a vertical stroke: a "1"


def independent_recording(trainer, optimizer_step=False):
    """The current digit's step, recorded here, not by the page's code: a copy of the model,
    target the label (or the predicted class of a drawing)."""
    image, label = trainer.current_digit()
    model = copy.deepcopy(trainer.model)
    x = glassnet.tensor(image[None], requires_grad=True)
    if label is None:
        with glassnet.no_grad():
            label = int(np.argmax(model(glassnet.tensor(image[None])).numpy()[0]))
    opt = None
    if optimizer_step:
        opt = type(trainer.optimizer)(model.parameters(), lr=trainer.cfg.learning_rate)
        opt.load_state_dict(copy.deepcopy(trainer.optimizer.state_dict()))
    with explain.record(model, opt) as rec:
        loss = glassnet.nn.functional.cross_entropy(model(x), glassnet.tensor(np.array([label])))
        if opt:
            opt.zero_grad()
        loss.backward()
        if opt:
            opt.step()
    return rec, x


@pytest.fixture(scope="module")
def trained():
    t = ImagesTrainer()
    for _ in range(60):
        t.train_step()
    return t


# -- messages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("msg, says", [
    ({"type": "set", "config": {"channels": [40]}}, "less than or equal to 16"),
    ({"type": "set", "config": {"channels": [4, 4, 4, 4]}}, "channels"),
    ({"type": "set", "config": {"hidden": [4]}}, "unknown control"),
    ({"type": "set", "config": {"kernel_size": 4}}, "kernel_size"),
    ({"type": "draw", "pixels": [0.5] * 10}, "64 pixels"),
    ({"type": "draw", "pixels": [2.0] * 64}, r"from 0 \(paper\) to 1 \(ink\)"),
    ({"type": "add_drawing", "pixels": ONE, "label": 10}, "label"),
    ({"type": "explain", "layer": 5}, "layer"),
    ({"type": "regenerate"}, "unknown message type"),
])
def test_bad_messages_are_refused_with_a_reason(msg, says):
    with pytest.raises(ProtocolError, match=says):
        parse_images_message(json.dumps(msg))


def test_a_link_field_is_typed_as_its_control():
    assert read_link_field("channels", "4,8") == [4, 8]
    assert read_link_field("learning_rate", "0.01") == 0.01
    with pytest.raises(ProtocolError, match="pooling"):
        read_link_field("pooling", "median")


# -- the trainer ---------------------------------------------------------------------------------
def test_the_default_cnn_learns_the_digits(trained):
    ev = trained.evaluate(force=True)
    assert ev["test_accuracy"] > 0.6
    assert sum(map(sum, ev["confusion"])) == len(trained.y_test) == 359
    assert all(trained.y_test[i] != p for i, p in ev["wrong"])


@pytest.mark.parametrize("cfg", [dict(channels=[4]), dict(channels=[2, 3, 4], pooling="avg", activation="tanh"),
                                 dict(channels=[3], kernel_size=5, pooling="none", activation="sigmoid")])
def test_every_shape_builds_trains_and_matches_its_layers(cfg):
    t = ImagesTrainer(ImagesConfig(**cfg))
    assert math.isfinite(t.train_step())
    f = decode_arrays(t.frame(playing=False))
    for ly in t.layers():
        assert f["data"][f"maps{ly['index']}"].shape == (ly["out_channels"], ly["side"], ly["side"])
        assert f["data"][f"kernels{ly['index']}"].shape == (ly["out_channels"], ly["in_channels"], ly["kernel"],
                                                            ly["kernel"])
    assert f["data"]["params"].size == sum(p.numel() for p in t.model.parameters())


def test_a_frame_shows_what_an_independent_explain_recording_shows(trained):
    trained.select("test", 7)
    f = decode_arrays(trained.frame(playing=False))
    rec, x = independent_recording(trained)
    for ly in trained.layers():
        arrays = conv_arrays(rec, ly["path"])
        np.testing.assert_array_equal(f["data"][f"maps{ly['index']}"], arrays["maps"])
        np.testing.assert_array_equal(f["data"][f"kernels{ly['index']}"], arrays["kernels"])
    # saliency: |∂L/∂pixel| of the step, as a plain backward gives it
    model = copy.deepcopy(trained.model)
    x = glassnet.tensor(trained.x_test[7][None], requires_grad=True)
    glassnet.nn.functional.cross_entropy(model(x), glassnet.tensor(trained.y_test[7:8])).backward()
    np.testing.assert_allclose(f["data"]["saliency"], np.abs(x.grad.numpy()[0, 0]), rtol=1e-6, atol=1e-9)
    assert f["current"] == {"split": "test", "index": 7, "label": int(trained.y_test[7]),
                            "target": int(trained.y_test[7]), "predicted": int(np.argmax(f["data"]["probs"]))}


def test_a_drawing_is_predicted_and_can_join_the_training_set():
    t = ImagesTrainer()
    n = len(t.y_train)
    t.draw(ONE)
    f = decode_arrays(t.frame(playing=False))
    assert f["current"]["split"] == "drawing" and f["current"]["label"] is None
    np.testing.assert_array_equal(f["data"]["input"], np.array(ONE, dtype=np.float32).reshape(8, 8))
    t.add_drawing(ONE, 1)
    assert len(t.y_train) == n + 1 and t.y_train[-1] == 1
    np.testing.assert_array_equal(t.x_train[-1, 0], np.array(ONE, dtype=np.float32).reshape(8, 8))
    assert t.state()["drawings"][0]["label"] == 1
    with pytest.raises(ProtocolError, match="no drawing digit 3"):
        t.select("drawing", 3)


def test_a_step_through_matches_the_recording_and_explain_derivation(trained):
    trained.select("test", 3)
    m = explain_value(trained, 1, 2, 1, 2)
    rec, _ = independent_recording(trained, optimizer_step=True)
    fw = m["forward"]
    conv = [op for op in rec.forward_ops if op.op == "ConvNd"][1]
    assert fw["agrees"] and fw["z"] == float(conv.output[0, 2, 1, 2])
    assert fw["count"] == 8 * 9 and len(fw["terms"]) == 12
    assert fw["sum"] == pytest.approx(fw["z"], abs=1e-5)
    d = rec.derivation(m["entry"])
    assert m["backward"]["headline"] == d.headline and m["backward"]["text"] == str(d)
    assert m["backward"]["value"] == float(d.value) and m["backward"]["agrees"]
    rf = rec.receptive_field(m["path"], 0, 2, 1, 2)
    assert np.array_equal(np.array(m["receptive"]["mask"], dtype=bool), rf.mask[0].any(axis=0))
    np.testing.assert_array_equal(np.array(m["map"], dtype=np.float32),
                                  conv_arrays(rec, m["path"])["maps"][2])
    # the weight asked for is the one derived
    m2 = explain_value(trained, 0, 1, 4, 4, [0, 2, 0])
    assert m2["entry"] == "0.weight[1, 0, 2, 0]" and m2["backward"]["agrees"]
    with pytest.raises(ProtocolError, match="outside"):
        explain_value(trained, 0, 1, 9, 0)


def test_the_export_loads_in_torch_with_the_same_outputs(trained, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from glassnet.playground import export as X
    import base64
    name = "cnn.safetensors"
    msg = X.export_message(trained.model, name, "load.py", X.cnn_torch_code(trained.cfg, name))
    (tmp_path / name).write_bytes(base64.b64decode(msg["safetensors"]))
    code = msg["code"].split('if __name__ == "__main__":')[0]
    import os
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {}
        exec(compile(code, "load.py", "exec"), scope)
    finally:
        os.chdir(cwd)
    x = trained.x_test[:50]
    with glassnet.no_grad():
        ours = trained.model(glassnet.tensor(x)).numpy()
    theirs = scope["model"](torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)
    assert (scope["predict"](torch.tensor(x)).argmax(1).numpy() == ours.argmax(1)).all()


def test_warnings_name_dead_channels_and_the_layer_where_training_diverged():
    t = ImagesTrainer(ImagesConfig(channels=[4]))
    with glassnet.no_grad():
        t.model[0].bias[2] = -100.0                 # channel 3 never fires
    found = image_warnings(t)
    assert any(w["kind"] == "dead_relu" and w["units"] == [3] and "conv layer 1" in w["message"] for w in found)
    from glassnet.playground import health as H
    with glassnet.no_grad():
        t.model[0].weight[0, 0, 0, 0] = float("nan")
    d = H.diagnose_divergence(t, np.arange(4), float("nan"))
    assert "0.weight" in d["message"] and "conv layer 1" in d["where"]


# -- the WebSocket session -----------------------------------------------------------------------
class ImagesClient(PageClient):
    def __init__(self, server):
        super().__init__(server, "/images")


@pytest.fixture
def images(server):
    c = ImagesClient(server)
    yield c
    c.close()


def test_the_page_is_served_with_its_own_modules(server):
    import urllib.request
    html = urllib.request.urlopen(server.url + "images").read().decode()
    assert '<script type="module" src="/static/images.js">' in html
    for name in ("images.js", "images.css", "classroom.js"):
        assert len(urllib.request.urlopen(f"{server.url}static/{name}").read()) > 1000


def test_a_session_trains_draws_and_explains(images, server):
    assert images.hello["page"] == "images" and images.state["config"]["channels"] == [8, 16]
    assert images.frame["step"] == 0 and images.frame["data"]["maps1"].shape == (16, 4, 4)
    f = images.request(type="set", config={"channels": [4], "learning_rate": 0.01})
    assert images.state["config"]["channels"] == [4] and f["data"]["maps0"].shape == (4, 8, 8)
    f = images.request(type="step", n=5)
    assert f["step"] == 5
    f = images.request(type="draw", pixels=ONE)
    assert f["current"]["split"] == "drawing"
    images.send(type="add_drawing", pixels=ONE, label=1)
    notice = images.wait("notice")
    assert "drawing of a 1" in notice["message"] and images.state["n_train"] == 1439
    images.send(type="explain", layer=0, channel=1, y=3, x=4)
    m = images.wait("explain")
    assert m["forward"]["agrees"] and m["backward"]["agrees"] and m["entry"].startswith("0.weight[1, 0, ")
    images.send(type="select", split="test", index=999)
    assert "no test digit 999" in images.wait("error")["message"]


def test_a_link_applies_its_fields_and_weights_and_names_a_bad_one(images):
    t = ImagesTrainer(ImagesConfig(channels=[2, 3], seed=5))
    from glassnet.playground.links import encode_weights
    w = encode_weights([p.detach().numpy() for p in t.model.parameters()])
    images.send(type="link", fields={"channels": "2,3", "seed": "5", "pooling": "median"}, weights=w)
    err = images.wait("error")
    assert "pooling" in err["message"] and err["link"]
    f = images.wait("frame", lambda m: m["data"]["params"].size == sum(p.numel() for p in t.model.parameters()))
    expect = np.concatenate([p.detach().numpy().ravel() for p in t.model.parameters()])
    np.testing.assert_array_equal(f["data"]["params"], expect)


def test_playing_streams_frames_and_a_divergence_leaves_a_lasting_banner(images, server):
    images.send(type="play")
    start = images.frame["step"]
    f = images.wait("frame", lambda m: m["step"] > start + 20)
    assert f["playing"] and f["steps_per_s"] >= 0
    images.request(type="pause")
    trainer = server.registry.sessions[images.hello["session"]].trainer
    with glassnet.no_grad():                        # what a far too large step would leave behind
        trainer.model[0].weight[0, 0, 0, 0] = float("nan")
    images.send(type="step", n=1)
    h = images.wait("health", lambda m: m["diverged"] is not None)
    assert "0.weight" in h["diverged"]["message"] and h["diverged"]["where"] == "conv layer 1"
    f = images.wait("frame", lambda m: not m["playing"])
    assert f["train_loss"] is None                  # the loss is not finite: no number to show
    images.send(type="step", n=1)                   # the banner stays while the network is broken
    images.wait("frame", lambda m: (m.get("ack") or 0) >= images.n)
    assert trainer.steps and server.registry.sessions[images.hello["session"]].diverged is not None


def test_the_model_builder_matches_torch_state_dict_keys():
    model, convs = build_model(ImagesConfig(channels=[2, 2], pooling="none"))
    assert convs == [0, 2] and list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias",
                                                          "5.weight", "5.bias"]
