"""Fixtures for the playground tests: a live server on 127.0.0.1 (a free port) and WebSocket clients."""
from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from glassnet.playground import PlaygroundServer
from glassnet.playground.frames import decode as decode_frame, with_kept


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a slower browser test (still part of the default run)")


@pytest.fixture(scope="module")
def server():
    srv = PlaygroundServer(host="127.0.0.1", port=0).start()
    yield srv
    srv.stop()


class Client:
    """A page stand-in: speaks the protocol, confirms every frame as the page does."""

    def __init__(self, ws_url: str, origin: str | None = None):
        headers = {"Origin": origin} if origin else None
        self._cm = connect(ws_url, max_size=None, additional_headers=headers, open_timeout=10)
        self.ws = self._cm.__enter__()
        self.next_id = 0
        self.hello = self.recv()
        assert self.hello["type"] == "hello"
        self.state = self.wait("state")
        self.frame = self.wait("frame")

    @property
    def session_id(self) -> str:
        return self.hello["session"]

    def recv(self, timeout: float = 20.0) -> dict:
        raw = self.ws.recv(timeout=timeout)
        m = decode_frame(raw) if isinstance(raw, bytes) else json.loads(raw)
        if m["type"] == "frame":
            self.ws.send('{"type": "got_frame"}')
            self.frame = m
        elif m["type"] == "state":
            self.state = m
        return m

    def send(self, **msg) -> int:
        self.next_id += 1
        msg.setdefault("id", self.next_id)
        self.ws.send(json.dumps(msg))
        return msg["id"]

    def send_raw(self, text) -> None:
        self.ws.send(text)

    def wait(self, kind: str, pred=lambda m: True, timeout: float = 20.0) -> dict:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind!r} message in {timeout} s")
            m = self.recv(timeout=left)
            if m["type"] == kind and pred(m):
                return m

    def request(self, kind: str = "frame", **msg) -> dict:
        """Send a message and return the first ``kind`` message that acknowledges it."""
        mid = self.send(**msg)
        return self.wait(kind, lambda m: m.get("ack") is not None and m["ack"] >= mid)

    def close(self) -> None:
        self._cm.__exit__(None, None, None)


@pytest.fixture
def client(server):
    c = Client(server.ws_url)
    yield c
    c.close()


def wait_until(pred, timeout: float = 10.0, interval: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    return False


class PageClient:
    """A page stand-in for the Images or Text page (``path``: "/images", "/text"): frames are read
    with ``frames.decode_arrays``; the first messages (``first``, after ``hello``) are kept by type."""

    def __init__(self, server, path: str, first=("state", "frame")):
        from glassnet.playground.frames import decode_arrays
        self._decode = decode_arrays
        self.frame = None
        self._cm = connect(server.ws_url + path, max_size=None, open_timeout=10)
        self.ws = self._cm.__enter__()
        self.n = 0
        self.hello = self.recv()
        for kind in first:
            setattr(self, kind, self.wait(kind))

    def recv(self, timeout=30.0):
        raw = self.ws.recv(timeout=timeout)
        if isinstance(raw, bytes):
            self.ws.send('{"type": "got_frame"}')
            # as the page does: an array the frame left out (its ``kept``) is the one of the frame before
            self.frame = with_kept(self._decode(raw), getattr(self, "frame", None))
            return self.frame
        m = json.loads(raw)
        if m["type"] == "state":
            self.state = m
        return m

    def send(self, **msg):
        self.n += 1
        msg["id"] = self.n
        self.ws.send(json.dumps(msg))
        return self.n

    def wait(self, kind, pred=lambda m: True, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            m = self.recv(timeout=max(0.1, end - time.monotonic()))
            if m["type"] == kind and pred(m):
                return m

    def request(self, kind="frame", **msg):
        mid = self.send(**msg)
        return self.wait(kind, lambda m: (m.get("ack") or 0) >= mid)

    def close(self):
        self._cm.__exit__(None, None, None)
