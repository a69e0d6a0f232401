"""Fuzzed WebSocket messages against a live playground: every one is answered (an error for what
is not a message), the connection never drops, and the session goes on (bounded: ~60 examples)."""
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from websockets.sync.client import connect

from glassnet.playground import PlaygroundServer
from glassnet.playground.frames import decode


class Tab:
    def __init__(self, url):
        self._cm = connect(url, max_size=None, open_timeout=10)
        self.ws = self._cm.__enter__()
        self.next_id = 0
        assert json.loads(self.ws.recv(timeout=10))["type"] == "hello"

    def recv(self, timeout=10.0):
        raw = self.ws.recv(timeout=timeout)
        if isinstance(raw, bytes):
            self.ws.send('{"type": "got_frame"}')
            return decode(raw)
        return json.loads(raw)

    def answered(self, raw) -> list:
        """Send ``raw``, then a step; everything up to the frame that acknowledges the step."""
        self.ws.send(raw)
        self.next_id += 1
        self.ws.send(json.dumps({"type": "step", "n": 1, "id": self.next_id}))
        seen, end = [], time.monotonic() + 20
        while time.monotonic() < end:
            m = self.recv()
            seen.append(m)
            if m["type"] == "frame" and m["ack"] == self.next_id:
                return seen
        raise TimeoutError("the session stopped answering")


@pytest.fixture(scope="module")
def tab():
    with PlaygroundServer() as srv:
        t = Tab(srv.ws_url)
        yield t
        t.ws.close()
        assert t.ws.close_code == 1000


big_ints = st.integers(4301, 6000).map(lambda n: "9" * n)
scalars = st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=30)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=15)
types = st.sampled_from(["set", "play", "pause", "reset", "step", "set_weight", "explain", "preset",
                         "upload_csv", "export", "link", "got_frame", "bogus", ""])


@st.composite
def messages(draw):
    kind = draw(st.sampled_from(["text", "object", "big_int", "binary", "deep"]))
    if kind == "text":
        return draw(st.text(max_size=200))
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=300))
    if kind == "big_int":
        field = draw(st.sampled_from(["n", "id", "layer", "index", "value"]))
        return '{"type": "%s", "%s": %s}' % (draw(types), field, draw(big_ints))
    if kind == "deep":
        depth = draw(st.integers(500, 3000))
        return '{"type": "set", "config": ' + "[" * depth + "]" * depth + "}"
    msg = draw(st.dictionaries(st.sampled_from(["type", "config", "n", "id", "layer", "row", "col", "value",
                                                "index", "split", "name", "text", "fields", "weights"]),
                               values, max_size=5))
    if draw(st.booleans()):
        msg["type"] = draw(types)
    return json.dumps(msg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(raw=messages())
def test_fuzzed_messages_are_answered_and_the_session_goes_on(tab, raw):
    seen = tab.answered(raw)
    if isinstance(raw, bytes) or "9" * 4301 in (raw if isinstance(raw, str) else ""):
        assert any(m["type"] == "error" for m in seen), raw[:80]      # answered, not dropped
    for m in seen:
        assert m["type"] in ("error", "notice", "state", "frame", "health", "explain", "export"), m["type"]
