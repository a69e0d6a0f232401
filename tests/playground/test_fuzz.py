"""Malformed messages (a fixed corpus and hypothesis-made ones): each gets an error, the session lives."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from glassnet.playground import protocol as P

from .conftest import Client

CORPUS = [
    "", " ", "null", "true", "0", "-1e309", '"play"', "[]", "{}", '{"type": null}', '{"type": 5}',
    '{"type": "play"', '{"type": "play"}}', "\x00\x01\x02", "\"\\ud800\"", "{\"type\": \"\\ud800\"}", "{" * 5000 + "}" * 5000,
    "[" * 100000, '{"type": "set"}', '{"type": "set", "config": null}', '{"type": "set", "config": []}',
    '{"type": "set", "config": {"hidden": "8,8"}}', '{"type": "set", "config": {"hidden": [8.5]}}',
    '{"type": "set", "config": {"hidden": [-1]}}', '{"type": "set", "config": {"noise": 1e400}}',
    '{"type": "set", "config": {"learning_rate": Infinity}}', '{"type": "set", "config": {"seed": -5}}',
    '{"type": "set", "config": {"features": ["x1", "x1"]}}', '{"type": "set", "config": {"bogus": 1}}',
    '{"type": "set", "config": {"dataset": "../../etc/passwd"}}', '{"type": "set", "config": {"loss": "hinge"}}',
    '{"type": "step", "n": "many"}', '{"type": "step", "n": 1e10}', '{"type": "step", "n": true}',
    '{"type": "set_weight", "layer": 99, "row": 0, "col": 0, "value": 1}',
    '{"type": "set_weight", "layer": 0, "row": 0, "col": 0}', '{"type": "explain", "split": "valid", "index": 0}',
    '{"type": "explain", "index": 1999}', '{"type": "preset", "name": "mnist"}',
    '{"type": "upload_csv", "text": 5}', '{"type": "upload_csv", "text": "\\u0000,\\u0000,\\u0000"}',
    '{"type": "play", "id": -1}', '{"type": "play", "id": "x"}', '{"type": "got_frame", "n": 1}',
    json.dumps({"type": "upload_csv", "text": "1,2,0\n" * 60000}),
]


@pytest.fixture(scope="module")
def fuzz_client(server):
    c = Client(server.ws_url)
    yield c
    c.close()


def assert_alive(client):
    f = client.request(type="step", n=1)
    assert f["type"] == "frame"


def test_fixed_corpus_of_malformed_messages(fuzz_client, server):
    for text in CORPUS:
        fuzz_client.send_raw(text)
        mid = fuzz_client.send(type="step", n=1)
        seen = []
        while True:                     # everything up to the frame that answers the step
            m = fuzz_client.recv(timeout=10)
            seen.append(m)
            if m["type"] == "frame" and m["ack"] == mid:
                break
        errors = [m for m in seen if m["type"] == "error"]
        assert errors and errors[0]["message"], f"no error for {text[:60]!r}"
    assert fuzz_client.session_id in server.registry.sessions


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(P.MESSAGE_TYPES + ("bogus",))},
    optional={"config": st.dictionaries(st.sampled_from(list(P.Config.model_fields) + ["zzz"]), json_values, max_size=4),
              "n": json_values, "layer": json_values, "row": json_values, "col": json_values, "value": json_values,
              "index": json_values, "split": json_values, "name": json_values, "text": json_values, "id": json_values})


@settings(max_examples=60, deadline=None)
@given(msg=messages)
def test_generated_messages_never_break_the_session(fuzz_client, msg):
    fuzz_client.send_raw(json.dumps(msg))
    assert_alive(fuzz_client)
