"""The server refuses other hosts (DNS rebinding), sends the browser-hardening headers, caps
sessions per address, answers any invalid message, and the CLI reports a busy port in one line."""
import json
import socket
import subprocess
import sys
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from glassnet.playground import PlaygroundServer
from glassnet.playground.server import allowed_hosts, host_name

from .conftest import Client


def http_get(url: str, host: str):
    req = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", ""])
def test_a_request_for_another_host_is_refused(server, host):
    status, _, body = http_get(server.url, host.format(port=server.port))
    assert status == 421 and b"answers only for" in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}"])
def test_the_hosts_it_was_bound_for_are_served_with_hardening_headers(server, host):
    status, headers, body = http_get(server.url, host.format(port=server.port))
    assert status == 200 and b"glassnet playground" in body
    headers = {k.lower(): v for k, v in headers.items()}
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_a_rebinding_websocket_with_a_matching_origin_is_refused(server):
    evil = f"evil.example:{server.port}"
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        with connect(server.ws_url, additional_headers={"Host": evil, "Origin": f"http://{evil}"},
                     open_timeout=10) as ws:
            ws.recv(timeout=5)
    assert all(s.closed.is_set() or True for s in server.registry.sessions.values())


def test_host_names_and_what_a_bound_address_allows():
    assert host_name("[::1]:8000") == "::1" and host_name("LocalHost:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1" and host_name("::1") == "::1"
    assert {"127.0.0.1", "localhost", "::1", "10.1.2.3"} <= allowed_hosts("10.1.2.3")
    assert "evil.example" not in allowed_hosts("0.0.0.0")


def test_sessions_are_capped_per_client_address():
    with PlaygroundServer(max_sessions=10, max_per_client=2) as srv:
        a, b = Client(srv.ws_url), Client(srv.ws_url)
        try:
            with connect(srv.ws_url) as ws:
                m = json.loads(ws.recv(timeout=5))
                assert m["type"] == "error" and "this address already has 2 playground tabs" in m["message"]
        finally:
            a.close()
            b.close()


def test_an_integer_of_5000_digits_is_answered_like_any_invalid_message(client):
    client.send_raw('{"type": "step", "n": ' + "9" * 5000 + "}")
    err = client.wait("error")
    assert "not valid JSON" in err["message"] and "digits" in err["message"]
    f = client.request(type="step", n=2)                  # the session goes on
    assert f["step"] == 2


def test_the_connection_ends_with_a_close_frame(server):
    c = Client(server.ws_url)
    c.ws.close()
    assert c.ws.close_code == 1000


def test_a_busy_port_is_one_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        for cmd in ([sys.executable, "-m", "glassnet.cli", "playground", "--port", str(port)],
                    [sys.executable, "-m", "glassnet.playground", "--port", str(port)]):
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            assert r.returncode == 2, (r.stdout, r.stderr)
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and "--port" in lines[0] and "already in use" in lines[0], r.stderr
            assert "Traceback" not in r.stderr


def test_the_cli_passes_workers_and_checks_them(monkeypatch, capsys):
    import glassnet.playground as playground
    from glassnet.cli import main
    calls = []
    monkeypatch.setattr(playground, "serve", lambda *a: calls.append(a))
    assert main(["playground", "--port", "8124", "--workers", "3"]) == 0
    assert calls == [("127.0.0.1", 8124, False, 3)]
    assert main(["playground", "--workers", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--workers" in err[0]
