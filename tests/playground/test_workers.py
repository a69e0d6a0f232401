"""``glassnet playground --workers 2``: two processes on one port, each serving whole tabs."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from .conftest import Client


def test_two_worker_processes_serve_tabs_side_by_side():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "glassnet.playground", "--port", str(port), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    tabs = []
    try:
        end = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < end and proc.poll() is None, proc.stderr.read().decode()[-2000:]
                time.sleep(0.1)
        children = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
        assert len(children) >= 2                      # two worker processes (and spawn's tracker)
        tabs = [Client(f"ws://127.0.0.1:{port}/ws") for _ in range(4)]
        for t in tabs:
            t.send(type="play")
        for t in tabs:
            assert t.wait("frame", lambda m: m["playing"] and m["step"] > 5, timeout=60)["playing"]
        for t in tabs:
            assert t.request(type="pause")["playing"] is False
        assert len({t.session_id for t in tabs}) == 4
        # which worker accepts a connection is the kernel's choice (on a busy machine one worker may
        # take all four tabs), so ask until a worker that holds tabs answers
        counts = []
        for _ in range(40):
            health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5).read())
            counts.append(health["sessions"])
            if health["sessions"]:
                break
        assert 0 < max(counts) and all(c <= 4 for c in counts), counts
    finally:
        for t in tabs:
            t.close()
        proc.terminate()
        proc.wait(30)
