"""The server over a real WebSocket on 127.0.0.1: sessions, controls, errors, flow control, exit."""
import base64
import json
import time
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus, ConnectionClosed

from glassnet.playground.protocol import LIMITS

from .conftest import Client, wait_until


def session_of(server, client):
    return server.registry.sessions[client.session_id]


def test_page_and_assets_are_served_locally(server):
    import re
    html = urllib.request.urlopen(server.url).read().decode()
    assert '<script type="module" src="/static/app.js">' in html
    modules, todo = {}, ["app.js"]
    while todo:                                   # every module the page loads, and what they import
        name = todo.pop()
        text = modules[name] = urllib.request.urlopen(f"{server.url}static/{name}").read().decode()
        for spec in re.findall(r'^import .* from "([^"]+)";', text, re.M):
            assert spec.startswith("./"), f"{name} imports {spec}: only the page's own files"
            if spec[2:] not in modules:
                todo.append(spec[2:])
    assert set(modules) == {"app.js", "common.js", "controls.js", "network.js", "plot.js", "stepper.js", "share.js",
                            "classroom.js"}
    assert len(urllib.request.urlopen(server.url + "static/style.css").read()) > 1000
    for text in [html, *modules.values()]:
        assert "cdn" not in text.lower() and 'src="http' not in text and "import(" not in text
    health = json.loads(urllib.request.urlopen(server.url + "api/health").read())
    assert health["ok"] is True


def test_connect_gets_hello_state_and_a_frame(client):
    assert client.hello["limits"]["max_layers"] == LIMITS.max_layers
    assert client.state["config"]["hidden"] == [4, 2]
    assert client.frame["step"] == 0 and len(client.frame["maps"]["neurons"]) == 2


@pytest.mark.parametrize("patch", [
    {"problem": "regression"}, {"dataset": "spiral"}, {"noise": 25}, {"train_ratio": 70},
    {"batch_size": 25}, {"n_points": 300}, {"features": ["x1", "x2", "x1x2", "sin(x1)"]},
    {"hidden": [8, 8, 3]}, {"activation": "relu"}, {"regularization": "l1"}, {"reg_rate": 0.01},
    {"learning_rate": 0.3}, {"optimizer": "adam"}, {"loss": "mse"}, {"seed": 42},
    {"discretize": True}, {"show_test": True},
])
def test_each_control_changes_the_servers_session(server, client, patch):
    state = client.request("state", type="set", config=patch)
    cfg = session_of(server, client).trainer.cfg
    for key, value in patch.items():
        assert getattr(cfg, key) == value
        assert state["config"][key] == value


def test_play_pause_step_and_reset(server, client):
    client.send(type="play")
    f = client.wait("frame", lambda m: m["step"] > 50)
    assert f["playing"]
    f = client.request(type="pause")
    assert not f["playing"]
    frozen = session_of(server, client).trainer.steps
    time.sleep(0.2)
    assert session_of(server, client).trainer.steps == frozen
    f = client.request(type="step", n=7)
    assert f["step"] == frozen + 7
    f = client.request(type="reset")
    assert f["step"] == 0


def test_an_invalid_message_gets_an_error_and_the_session_goes_on(client):
    client.send_raw("{not json")
    err = client.wait("error")
    assert "not valid JSON" in err["message"]
    err = client.request("error", type="set", config={"dataset": "plane"})
    assert "does not fit a classification problem" in err["message"]
    f = client.request(type="step", n=3)
    assert f["step"] == 3


def test_weight_edit_reaches_the_model(server, client):
    f = client.request(type="set_weight", layer=1, row=0, col=2, value=1.5)
    assert f["layers"][1]["w"][0][2] == 1.5
    assert session_of(server, client).trainer.linears[1].weight.array[0, 2] == 1.5


def test_upload_csv_and_a_bad_one(server, client):
    rows = "\n".join(f"{i % 9 - 4},{(i * 7) % 11 - 5},{int(i % 9 > 4)}" for i in range(60))
    state = client.request("state", type="upload_csv", name="mine.csv", text="a,b,label\n" + rows)
    assert state["config"]["dataset"] == "csv" and state["upload_name"] == "mine.csv"
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 60
    err = client.request("error", type="upload_csv", name="bad.csv", text="1,2\n3,4\n5,6\n7,8\n")
    assert "expected 3" in err["message"]
    assert session_of(server, client).trainer.cfg.dataset == "csv"    # the good upload stays


def test_export_sends_safetensors_and_code(client):
    client.send(type="export")
    m = client.wait("export")
    blob = base64.b64decode(m["safetensors"])
    header_len = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + header_len])
    assert {"0.weight", "0.bias", "2.weight", "4.bias"} <= set(header)
    assert "load_state_dict(load_file(" in m["code"] and m["filename"] in m["code"]


def test_a_page_that_takes_no_frames_does_not_slow_training_or_pile_up_frames(server):
    c = Client(server.ws_url)
    try:
        s = session_of(server, c)
        c.ws.send(json.dumps({"type": "play"}))
        # read without confirming frames: at most `window` frames may be in flight
        got = 0
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            try:
                raw = c.ws.recv(timeout=0.1)
            except TimeoutError:
                continue
            got += isinstance(raw, bytes)          # frames are the binary messages
        assert got <= s.window + 1
        steps = s.trainer.steps
        assert wait_until(lambda: s.trainer.steps > steps + 50, timeout=20)   # training went on
        assert s.frames_taken - s.frames_confirmed <= s.window
    finally:
        c.close()


def test_closing_the_tab_ends_its_session(server):
    c = Client(server.ws_url)
    s = session_of(server, c)
    c.ws.send(json.dumps({"type": "play"}))
    c.wait("frame", lambda m: m["playing"])
    c.close()
    assert wait_until(lambda: c.session_id not in server.registry.sessions, timeout=5)
    assert wait_until(lambda: not s.thread.is_alive(), timeout=5)
    assert s.closed.is_set()


def test_a_page_from_another_site_is_refused(server):
    with pytest.raises((InvalidStatus, ConnectionClosed, OSError)):
        c = Client(server.ws_url, origin="http://evil.example")
        c.recv()


def test_explain_records_one_step_on_a_copy(server, client):
    client.request(type="step", n=5)
    s = session_of(server, client)
    before = [p.array.copy() for p in s.trainer.model.parameters()]
    client.send(type="explain", split="test", index=2)
    m = client.wait("explain")
    assert m["record"]["schema"] == "glassnet.explain/1"
    assert [st["phase"] for st in m["steps"]][:1] == ["forward"] and m["steps"][-1]["phase"] == "update"
    assert m["point"]["split"] == "test" and m["point"]["index"] == 2
    for p, b in zip(s.trainer.model.parameters(), before):
        assert (p.array == b).all()                      # the session did not take the step
    err = client.request("error", type="explain", split="train", index=1999)
    assert "there is no train point 1999" in err["message"]
