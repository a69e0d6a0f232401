"""Playground speed: steps/s while streaming, frames/s, control-change latency, a slow client.

The server runs in its own process (``python -m glassnet.playground``) on 127.0.0.1, as it does
for a user; this script is the page: a WebSocket client that asks for a 2-8-8-1 tanh network
on 500 spiral points (batch 10), presses play, and measures

* steps/s   optimizer steps per second, read from the frames' step counter;
* frames/s  frames received per second (each carries the 64x64 output map and every
            neuron's 64x64 map);
* latency   from sending a control change (the learning rate) to receiving the first frame
            that reflects it (its ``ack``), while training;
* 20 tabs:  twenty sessions training at once (the CPU is shared: per-tab numbers drop, none stops);
* slow client: a client that reads one frame every 0.5 s must not slow training down or make
            the server's memory grow (latest-frame-wins);
* on screen: with Debian's chromium (if /usr/bin/chromium exists), from the control's change
            event to the page drawing the frame that reflects it.

Run: .venv/bin/python benchmarks/bench_playground.py [--seconds 5]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import websockets

SETUP = {"problem": "classification", "dataset": "spiral", "n_points": 500, "features": ["x1", "x2"],
         "hidden": [8, 8], "activation": "tanh", "batch_size": 10, "learning_rate": 0.03, "noise": 0}
TARGETS = {"steps_per_s": 200, "frames_per_s": 20, "latency_ms": 100}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "glassnet.playground", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/api/health", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the playground server did not start: " + proc.stderr.read().decode()[-2000:])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def recv_json(ws):
    m = json.loads(await ws.recv())
    if m["type"] == "frame":
        await ws.send('{"type": "got_frame"}')     # flow control, as the page does
    return m


async def open_session(ws_url):
    ws = await websockets.connect(ws_url, max_size=None)
    hello = await recv_json(ws)
    assert hello["type"] == "hello"
    await ws.send(json.dumps({"type": "set", "config": SETUP, "id": 1}))
    while True:
        m = await recv_json(ws)
        if m["type"] == "frame" and m["ack"] == 1:
            return ws


async def stream(ws_url, seconds: float) -> dict:
    ws = await open_session(ws_url)
    await ws.send(json.dumps({"type": "play", "id": 2}))
    frames, first, last, sizes = 0, None, None, []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        raw = await ws.recv()
        m = json.loads(raw)
        if m["type"] == "frame":
            await ws.send('{"type": "got_frame"}')
        if m["type"] != "frame" or not m["playing"]:
            continue
        frames += 1
        sizes.append(len(raw))
        first = first or (time.perf_counter(), m["step"])
        last = (time.perf_counter(), m["step"])
    # latency: change the learning rate while training, wait for the frame that shows it
    lat, mid = [], 100
    for i in range(30):
        mid += 1
        lr = 0.03 if i % 2 else 0.01
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "set", "config": {"learning_rate": lr}, "id": mid}))
        while True:
            m = await recv_json(ws)
            if m["type"] == "frame" and m["ack"] is not None and m["ack"] >= mid:
                lat.append((time.perf_counter() - sent) * 1e3)
                break
        await asyncio.sleep(0.05)
    await ws.close()
    return {"steps_per_s": (last[1] - first[1]) / (last[0] - first[0]), "frames_per_s": frames / seconds,
            "frame_kib": statistics.mean(sizes) / 1024, "latency_ms": lat}


async def slow_client(ws_url, pid: int, seconds: float) -> dict:
    ws = await open_session(ws_url)
    await ws.send(json.dumps({"type": "play"}))
    rss = [rss_mib(pid)]
    steps = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        await asyncio.sleep(0.5)                     # a page that can draw only twice a second
        m = await recv_json(ws)
        if m["type"] == "frame":
            steps.append((time.perf_counter(), m["step"]))
        rss.append(rss_mib(pid))
    await ws.close()
    return {"steps_per_s": (steps[-1][1] - steps[1][1]) / (steps[-1][0] - steps[1][0]),
            "rss_start": rss[0], "rss_max": max(rss), "rss_end": rss[-1]}


async def many(ws_url, n: int, seconds: float) -> dict:
    """``n`` tabs training at once: each one's steps/s and frames/s, and one's control latency."""
    socks = [await open_session(ws_url) for _ in range(n)]

    async def run(ws, probe: bool):
        await ws.send(json.dumps({"type": "play", "id": 2}))
        frames, first, last, lat, mid = 0, None, None, [], 100
        t0 = time.perf_counter()
        next_probe = t0 + 1.0
        sent = None
        while time.perf_counter() - t0 < seconds:
            m = await recv_json(ws)
            if m["type"] != "frame" or not m["playing"]:
                continue
            frames += 1
            first = first or (time.perf_counter(), m["step"])
            last = (time.perf_counter(), m["step"])
            if probe and sent and m["ack"] is not None and m["ack"] >= mid:
                lat.append((time.perf_counter() - sent) * 1e3)
                sent = None
            if probe and sent is None and time.perf_counter() > next_probe:
                mid += 1
                sent = time.perf_counter()
                next_probe = sent + 0.2
                await ws.send(json.dumps({"type": "set", "config": {"learning_rate": 0.01 + 0.01 * (mid % 2)},
                                          "id": mid}))
        await ws.close()
        return (last[1] - first[1]) / (last[0] - first[0]), frames / seconds, lat

    results = await asyncio.gather(*(run(ws, i == 0) for i, ws in enumerate(socks)))
    return {"steps": [r[0] for r in results], "fps": [r[1] for r in results], "latency_ms": results[0][2]}


def browser_latency(url: str, n: int = 20):
    """From a select's change event to the animation frame that draws the frame reflecting it."""
    if not os.path.exists("/usr/bin/chromium"):
        return None
    from playwright.sync_api import sync_playwright
    hash_ = "#" + "&".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in SETUP.items())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/" + hash_)
        page.wait_for_function("window.playground.state && window.playground.state.config.hidden.length == 2")
        page.click("#play")
        page.wait_for_function("document.body.dataset.playing == 'true'")
        time.sleep(1.0)
        page.evaluate("window.playground.latency = []")
        for i in range(n):
            page.select_option("#learning_rate", "0.01" if i % 2 == 0 else "0.03")
            page.wait_for_function(f"window.playground.latency.length >= {i + 1}", timeout=5000)
            time.sleep(0.05)
        lat = page.evaluate("window.playground.latency")
        fps = page.evaluate("""() => new Promise(r => { const a = window.playground.framesDrawn;
                               setTimeout(() => r((window.playground.framesDrawn - a) / 2), 2000); })""")
        browser.close()
    return {"latency_ms": lat, "frames_drawn_per_s": fps}


def summary(values):
    values = sorted(values)
    return (f"median {statistics.median(values):6.1f}  p95 {values[int(0.95 * (len(values) - 1))]:6.1f}  "
            f"max {values[-1]:6.1f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    proc, url = start_server()
    ws_url = url.replace("http", "ws") + "/ws"
    try:
        fast = asyncio.run(stream(ws_url, args.seconds))
        slow = asyncio.run(slow_client(ws_url, proc.pid, args.seconds))
        crowd = asyncio.run(many(ws_url, 20, args.seconds))
        screen = None if args.no_browser else browser_latency(url)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"glassnet playground, 2-8-8-1 tanh, 500 spiral points (250 train), batch 10, "
          f"{os.cpu_count()} CPU(s), server in its own process")
    print(f"  steps/s while streaming     {fast['steps_per_s']:8.0f}   (target >= {TARGETS['steps_per_s']})")
    print(f"  frames/s received           {fast['frames_per_s']:8.1f}   (target >= {TARGETS['frames_per_s']}; "
          f"{fast['frame_kib']:.0f} KiB per frame: 64x64 output + {8 + 8} neuron maps)")
    print(f"  control change -> frame, ms {summary(fast['latency_ms'])}   (target < {TARGETS['latency_ms']})")
    print(f"  slow client (2 reads/s): steps/s {slow['steps_per_s']:.0f}, server RSS "
          f"{slow['rss_start']:.0f} -> max {slow['rss_max']:.0f} -> {slow['rss_end']:.0f} MiB")
    print(f"  20 tabs at once: steps/s per tab min {min(crowd['steps']):.0f} median "
          f"{statistics.median(crowd['steps']):.0f} (sum {sum(crowd['steps']):.0f}); frames/s per tab min "
          f"{min(crowd['fps']):.1f} median {statistics.median(crowd['fps']):.1f}; one tab's control change -> "
          f"frame, ms {summary(crowd['latency_ms']) if crowd['latency_ms'] else 'n/a'}")
    if screen:
        print(f"  on screen (chromium): control change -> drawn, ms {summary(screen['latency_ms'])}; "
              f"frames drawn/s {screen['frames_drawn_per_s']:.1f}")
    elif not args.no_browser:
        print("  on screen: skipped (no /usr/bin/chromium; apt-get install -y chromium)")
    ok = (fast["steps_per_s"] >= TARGETS["steps_per_s"] and fast["frames_per_s"] >= TARGETS["frames_per_s"]
          and statistics.median(fast["latency_ms"]) < TARGETS["latency_ms"])
    print("  targets met" if ok else "  TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
