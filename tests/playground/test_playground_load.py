"""Many tabs at once on one playground (bounded: 16 tabs, a few seconds): every tab keeps getting
frames while all train, every control change is acknowledged, and closing them frees every session."""
import json
import threading
import time

from websockets.sync.client import connect

from glassnet.playground import PlaygroundServer
from glassnet.playground.frames import decode

TABS = 16
SECONDS = 3.0


def run_tab(url: str, i: int, out: dict, start: threading.Barrier) -> None:
    with connect(url, max_size=None, open_timeout=20) as ws:
        def recv():
            raw = ws.recv(timeout=20)
            if isinstance(raw, bytes):
                ws.send('{"type": "got_frame"}')
                return decode(raw)
            return json.loads(raw)

        hello = recv()
        ws.send(json.dumps({"type": "set", "config": {"seed": i, "hidden": [1 + i % 8, 2]}, "id": 1}))
        while True:                                        # the set-up is in place
            m = recv()
            if m["type"] == "frame" and m["ack"] == 1:
                break
        start.wait(timeout=60)
        ws.send(json.dumps({"type": "play", "id": 2}))
        frames, acked, mid, t0 = 0, [], 2, time.monotonic()
        next_probe = t0 + 0.5
        while time.monotonic() - t0 < SECONDS:
            m = recv()
            if m["type"] == "frame" and m["playing"]:
                frames += 1
                if m["ack"] is not None and m["ack"] >= mid and mid > 2:
                    acked.append(mid)
                if time.monotonic() > next_probe and (mid == 2 or acked and acked[-1] == mid):
                    mid += 1
                    next_probe = time.monotonic() + 0.5
                    ws.send(json.dumps({"type": "set", "config": {"learning_rate": 0.01 * (1 + mid % 3)},
                                        "id": mid}))
        ws.send(json.dumps({"type": "pause", "id": mid + 1}))
        while True:
            m = recv()
            if m["type"] == "frame" and m["ack"] == mid + 1:
                break
        out[i] = {"session": hello["session"], "frames": frames, "probes": mid - 2, "acked": len(set(acked)),
                  "paused": not m["playing"], "step": m["step"]}


def test_sixteen_tabs_training_at_once_all_keep_going():
    with PlaygroundServer() as srv:
        out, start = {}, threading.Barrier(TABS)
        threads = [threading.Thread(target=run_tab, args=(srv.ws_url, i, out, start)) for i in range(TABS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert len(out) == TABS, f"only {len(out)} of {TABS} tabs finished"
        assert len({r["session"] for r in out.values()}) == TABS
        for i, r in out.items():
            assert r["frames"] >= 3, (i, r)                 # every tab kept moving
            assert r["step"] > 0 and r["paused"], (i, r)
            assert r["acked"] >= r["probes"] - 1, (i, r)    # every control change came back (the last may be in flight)
        end = time.monotonic() + 10
        while len(srv.registry) and time.monotonic() < end:
            time.sleep(0.05)
        assert len(srv.registry) == 0                       # closing the tabs freed every session

