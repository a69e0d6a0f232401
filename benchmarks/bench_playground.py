"""Playground speed: the goals of a classroom on one machine, and one tab's figures.

The server runs in its own process(es) (``python -m glassnet.playground --workers N``) on
127.0.0.1, as it does for a user; this script is the pages: WebSocket clients that confirm
every frame (``got_frame``) as the page does.  It prints

* frame size  bytes of one binary frame of the default network (2-4-2-1, tanh, circle) and of
              the largest (7 features, 6 x 8): goal <= 16 KB for the default;
* classroom   ``--tabs`` tabs (default 30) playing the default network at once on
              ``--workers`` processes (default: one per CPU): each tab's frames/s (goal >= 10)
              and the control latency, a learning-rate change -> the first frame that
              reflects it, probed on every tab about once a second (goal <= 150 ms);
* one tab     steps/s, frames/s and control latency of a 2-8-8-1 network alone;
* slow client a page that reads a frame twice a second must not slow training or grow memory;
* on screen   with Debian's chromium, control change -> drawn frame in a real page;
* images      the Images page's default CNN (conv 8, 16, 3x3, ReLU, max pooling, Adam, batches
              of 32) on one tab: steps/s (goal >= 10), frames/s (goal >= 10), control -> frame
              (goal: median <= 150 ms), over the WebSocket and on screen in chromium
              (``--images-only`` runs this part alone);
* classroom-page  ``--classroom-page images|text`` (repeatable): only the classroom, ``--tabs`` tabs
              of that page with its default set-up on ``--workers`` processes, probing its own
              learning-rate ``set`` (goals: >= 2 frames/s per tab, control -> frame median <= 150 ms;
              the acknowledging frame must come after the state carrying the new rate, else it
              counts as an error);
* text        the Text page's default tiny GPT (the lesson's GPTConfig(): 2 layers of 4 heads,
              64 channels, context 32; AdamW, batches of 16 windows) on one tab, the same figures and goals
              (``--text-only`` runs this part alone).

The machine may be shared while this runs (other work on the same cores lowers every figure):
the script prints the load average before and after.

Run: .venv/bin/python benchmarks/bench_playground.py [--seconds 6] [--tabs 30] [--workers N]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

SETUP = {"problem": "classification", "dataset": "spiral", "n_points": 500, "features": ["x1", "x2"],
         "hidden": [8, 8], "activation": "tanh", "batch_size": 10, "learning_rate": 0.03, "noise": 0}
TARGETS = {"steps_per_s": 200, "frames_per_s": 20, "latency_ms": 100}
GOALS = {"frame_kb": 16, "tab_fps": 10, "tab_latency_ms": 150}
IMAGE_GOALS = {"steps_per_s": 10, "frames_per_s": 10, "latency_ms": 150}
PAGE_CLASSROOM_GOALS = {"tab_fps": 2, "tab_latency_ms": 150}   # the Images and Text pages, 30 tabs
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int = 1):
    """The server in its own process(es); its log goes to a temporary file (a pipe nobody reads
    would fill up and block the server as soon as it logged a few tracebacks): ``server_log(proc)``."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "glassnet.playground", "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            urllib.request.urlopen(url + "/api/health", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the playground server did not start: " + server_log(proc))


def server_log(proc, chars: int = 2000) -> str:
    proc.log.seek(0)
    return proc.log.read()[-chars:]


def rss_mib(pid: int) -> float:
    """Resident memory of the server: the process and its worker processes."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    for p in [pid, *children]:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def header(raw) -> dict:
    """A message as a dict: JSON text, or a binary frame's header (its arrays are not decoded)."""
    if isinstance(raw, str):
        return json.loads(raw)
    (n,) = struct.unpack_from("<I", raw, 4)
    return dict(json.loads(raw[8:8 + n]), nbytes=len(raw))


async def recv_json(ws):
    m = header(await ws.recv())
    if m["type"] == "frame":
        await ws.send('{"type": "got_frame"}')     # flow control, as the page does
    return m


async def open_session(ws_url, setup=None):
    ws = await websockets.connect(ws_url, max_size=None, open_timeout=30)
    hello = await recv_json(ws)
    assert hello["type"] == "hello", hello
    await ws.send(json.dumps({"type": "set", "config": SETUP if setup is None else setup, "id": 1}))
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
        m = await recv_json(ws)
        if m["type"] != "frame" or not m["playing"]:
            continue
        frames += 1
        sizes.append(m["nbytes"])
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


async def frame_sizes(ws_url) -> dict:
    """Bytes of one frame: the default network, and the largest the controls allow."""
    out = {}
    for name, setup in (("default", {}), ("largest", {"features": ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)",
                                                                  "sin(x2)"], "hidden": [8] * 6})):
        ws = await open_session(ws_url, setup)
        mid = 2
        await ws.send(json.dumps({"type": "step", "n": 1, "id": mid}))
        while True:
            m = await recv_json(ws)
            if m["type"] == "frame" and m["ack"] == mid:
                out[name] = m["nbytes"]
                break
        await ws.close()
    return out


#: each page's learning rates for the latency probe (its own ``set`` message): 2-D, Images, Text
PROBE_RATES = {"2d": (0.01, 0.03), "images": (0.001, 0.003), "text": (0.001, 0.003)}


async def open_page_session(ws_url, page: str):
    """A tab of the Images or Text page with its default set-up: connected, its first frame read."""
    ws = await websockets.connect(ws_url + "/" + page, max_size=None, open_timeout=60)
    while (await recv_json(ws))["type"] != "frame":
        pass
    return ws


async def classroom(ws_url, n: int, seconds: float, page: str = "2d") -> dict:
    """``n`` tabs playing a page's default model at once (the 2-D page's default network, or the
    Images / Text page's default set-up): each one's frames/s, and control latency (that page's
    learning-rate ``set``) probed on every tab about once a second."""
    if page == "2d":
        socks = await asyncio.gather(*(open_session(ws_url, {}) for _ in range(n)))
    else:
        socks = []
        for i in range(0, n, 5):          # open in small groups, as a class arrives
            socks += await asyncio.gather(*(open_page_session(ws_url, page) for _ in range(min(5, n - i))))
    rates = PROBE_RATES[page]

    async def run(i, ws):
        await ws.send(json.dumps({"type": "play", "id": 2}))
        frames, lat, mid, sent, steps, errors, shown = 0, [], 100, None, [], [], None
        t0 = time.perf_counter()
        next_probe = t0 + 1.0 + (i % 10) / 10
        while time.perf_counter() - t0 < seconds:
            try:                                   # a stalled tab ends its run (it shows as few frames/s)
                m = await asyncio.wait_for(recv_json(ws), max(0.1, t0 + seconds - time.perf_counter()))
            except asyncio.TimeoutError:
                break
            if m["type"] == "error":                # e.g. a session whose thread failed: say so
                errors.append(m["message"])
            if m["type"] == "state":                # the config the frames after it were drawn with
                shown = (m["rev"], m["config"]["learning_rate"])
            if m["type"] != "frame" or not m.get("playing"):
                continue
            frames += 1
            now = time.perf_counter()
            steps.append((now, m["step"]))
            if sent is not None and m.get("ack") is not None and m["ack"] >= mid:
                # the real thing: the change was applied (its state came first, with the new rate)
                # and this frame was drawn after it (its rev is at least the state's)
                if shown is None or shown[1] != rates[mid % 2] or m["rev"] < shown[0]:
                    errors.append(f"the frame acknowledging learning rate {rates[mid % 2]} does not reflect it "
                                  f"(state {shown}, frame rev {m['rev']})")
                lat.append((now - sent) * 1e3)
                sent = None
            if sent is None and now > next_probe:
                mid += 1
                sent, next_probe = now, now + 1.0
                await ws.send(json.dumps({"type": "set", "config": {"learning_rate": rates[mid % 2]},
                                          "id": mid}))
        await ws.close()
        sps = (steps[-1][1] - steps[0][1]) / (steps[-1][0] - steps[0][0]) if len(steps) > 1 else 0.0
        return frames / seconds, lat, sps, errors

    results = await asyncio.gather(*(run(i, ws) for i, ws in enumerate(socks)))
    return {"fps": [r[0] for r in results], "latency_ms": [x for r in results for x in r[1]],
            "steps_per_s": [r[2] for r in results], "errors": [e for r in results for e in r[3]]}


def page_classroom_report(crowd: dict, tabs: int, workers: int, page: str) -> bool:
    """Print the Images or Text page's classroom figures; True if the goals (>= 2 frames/s on every
    tab, control -> frame median <= 150 ms) are met."""
    what = {"images": "Images page, default CNN", "text": "Text page, default tiny GPT"}[page]
    fps, lat, sps = sorted(crowd["fps"]), crowd["latency_ms"], sorted(crowd["steps_per_s"])
    ok = fps[0] >= PAGE_CLASSROOM_GOALS["tab_fps"] and bool(lat) and \
        statistics.median(lat) <= PAGE_CLASSROOM_GOALS["tab_latency_ms"]
    print(f"  {what}, {tabs} tabs playing at once on {workers} worker(s): frames/s per tab min {fps[0]:.1f} "
          f"median {statistics.median(fps):.1f} max {fps[-1]:.1f} (goal >= {PAGE_CLASSROOM_GOALS['tab_fps']} each: "
          f"{sum(f >= PAGE_CLASSROOM_GOALS['tab_fps'] for f in fps)} of {len(fps)} tabs reach it); training "
          f"steps/s per tab min {sps[0]:.1f} median {statistics.median(sps):.1f}")
    if lat:
        print(f"  {what}, {tabs} tabs: control change -> frame, ms {summary(lat)}  ({len(lat)} probes; goal: "
              f"median <= {PAGE_CLASSROOM_GOALS['tab_latency_ms']})")
    else:
        print(f"  {what}, {tabs} tabs: no control change was answered")
    if crowd.get("errors"):
        ok = False
        print(f"  {what}, {tabs} tabs: {len(crowd['errors'])} error message(s), e.g. {crowd['errors'][0]!r}")
    return ok


def browser_latency(url: str, n: int = 20, page_path: str | None = None, ready: str | None = None,
                    values=("0.01", "0.03"), viewport=(1400, 1000)):
    """From a select's change event to the animation frame that draws the frame reflecting it
    (default: the 2-D page with ``SETUP``; the Images page passes its path, ready condition, rates)."""
    if not os.path.exists("/usr/bin/chromium"):
        return None
    from playwright.sync_api import sync_playwright
    if page_path is None:
        page_path = "/#" + "&".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                                    for k, v in SETUP.items())
        ready = "window.playground.state && window.playground.state.config.hidden.length == 2"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]},
                                bypass_csp=True)   # for wait_for_function
        page.goto(url + page_path)
        page.wait_for_function(ready)
        page.click("#play")
        page.wait_for_function("document.body.dataset.playing == 'true'")
        time.sleep(1.0)
        page.evaluate("window.playground.latency = []")
        for i in range(n):
            page.select_option("#learning_rate", values[i % 2])
            page.wait_for_function(f"window.playground.latency.length >= {i + 1}", timeout=5000)
            time.sleep(0.05)
        lat = page.evaluate("window.playground.latency")
        fps = page.evaluate("""() => new Promise(r => { const a = window.playground.framesDrawn;
                               setTimeout(() => r((window.playground.framesDrawn - a) / 3), 3000); })""")
        browser.close()
    return {"latency_ms": lat, "frames_drawn_per_s": fps}


async def page_stream(ws_url: str, seconds: float, page: str = "images") -> dict:
    """One tab of the Images or Text page playing its default model: steps/s, frames/s, frame size,
    and a learning-rate change -> the first frame that acknowledges it."""
    ws = await websockets.connect(ws_url + "/" + page, max_size=None, open_timeout=30)
    await ws.send(json.dumps({"type": "play", "id": 1}))
    frames, first, last, sizes = 0, None, None, []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        m = await recv_json(ws)
        if m["type"] != "frame" or not m.get("playing"):
            continue
        frames += 1
        sizes.append(m["nbytes"])
        first = first or (time.perf_counter(), m["step"])
        last = (time.perf_counter(), m["step"])
    elapsed = time.perf_counter() - first[0]
    lat, mid = [], 100
    for i in range(30):
        mid += 1
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "set", "config": {"learning_rate": 0.003 if i % 2 else 0.001}, "id": mid}))
        while True:
            m = await recv_json(ws)
            if m["type"] == "frame" and m.get("ack") is not None and m["ack"] >= mid:
                lat.append((time.perf_counter() - sent) * 1e3)
                break
        await asyncio.sleep(0.05)
    await ws.close()
    return {"steps_per_s": (last[1] - first[1]) / (last[0] - first[0]), "frames_per_s": (frames - 1) / elapsed,
            "frame_kib": statistics.mean(sizes) / 1024, "latency_ms": lat}


def page_browser(url: str, page: str = "images"):
    """The Images or Text page in chromium at 1280x720: control change -> drawn frame, frames drawn/s."""
    return browser_latency(url, page_path="/" + page, ready="window.playground.state && window.playground.drawn",
                           values=("0.001", "0.003"), viewport=(1280, 720))


def page_report(fig: dict, screen, page: str = "images") -> bool:
    """Print the Images or Text page's figures; True if its goals are met."""
    what = {"images": "images, default CNN", "text": "text, default tiny GPT"}[page]
    med = statistics.median(fig["latency_ms"])
    ok = (fig["steps_per_s"] >= IMAGE_GOALS["steps_per_s"] and fig["frames_per_s"] >= IMAGE_GOALS["frames_per_s"]
          and med <= IMAGE_GOALS["latency_ms"])
    print(f"  {what}, one tab: steps/s {fig['steps_per_s']:.0f} (goal >= {IMAGE_GOALS['steps_per_s']}), "
          f"frames/s {fig['frames_per_s']:.1f} (goal >= {IMAGE_GOALS['frames_per_s']}; {fig['frame_kib']:.1f} KiB each), "
          f"control -> frame ms {summary(fig['latency_ms'])} (goal: median <= {IMAGE_GOALS['latency_ms']})")
    if screen:
        med_s = statistics.median(screen["latency_ms"])
        ok = ok and med_s <= IMAGE_GOALS["latency_ms"] and screen["frames_drawn_per_s"] >= IMAGE_GOALS["frames_per_s"]
        print(f"  {page} on screen (chromium): control change -> drawn, ms {summary(screen['latency_ms'])}; "
              f"frames drawn/s {screen['frames_drawn_per_s']:.1f}")
    return ok


def summary(values):
    values = sorted(values)
    return (f"median {statistics.median(values):6.1f}  p95 {values[int(0.95 * (len(values) - 1))]:6.1f}  "
            f"max {values[-1]:6.1f}")


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--tabs", type=int, default=30)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--classroom-only", action="store_true")
    ap.add_argument("--images-only", action="store_true", help="only the Images page's figures (one tab)")
    ap.add_argument("--text-only", action="store_true", help="only the Text page's figures (one tab)")
    ap.add_argument("--classroom-page", choices=("images", "text"), action="append",
                    help="only the classroom (--tabs tabs, --workers processes) on this page (repeatable)")
    args = ap.parse_args()
    load_before = load()
    if args.classroom_page:
        ok = True
        for page in args.classroom_page:
            proc, url = start_server(args.workers)
            try:
                crowd = asyncio.run(classroom(url.replace("http", "ws") + "/ws", args.tabs, args.seconds, page))
            finally:
                proc.terminate()
                proc.wait(10)
            if crowd["errors"] or "Traceback" in server_log(proc, 10 ** 6):
                print("  the server's log ends:\n" + server_log(proc))
            print(f"glassnet playground, {os.cpu_count()} CPU(s), server: {args.workers} worker process(es) on "
                  f"127.0.0.1; load average before {load_before}, now {load()} (a shared machine lowers every figure)")
            ok = page_classroom_report(crowd, args.tabs, args.workers, page) and ok
            load_before = load()
        print("  goals met" if ok else "  GOALS MISSED")
        return 0 if ok else 1
    single = [page for page in ("images", "text") if getattr(args, page + "_only")]
    proc, url = start_server(1 if single else args.workers)
    ws_url = url.replace("http", "ws") + "/ws"
    fast = slow = screen = None
    if single:
        figs = {}
        try:
            for page in single:
                figs[page] = (asyncio.run(page_stream(ws_url, args.seconds, page)),
                              None if args.no_browser else page_browser(url, page))
        finally:
            proc.terminate()
            proc.wait(10)
        print(f"glassnet playground, {os.cpu_count()} CPU(s), one server process on 127.0.0.1; load average "
              f"before {load_before}, after {load()} (a shared machine lowers every figure)")
        ok = all([page_report(fig, shot, page) for page, (fig, shot) in figs.items()])
        print("  goals met" if ok else "  GOALS MISSED")
        return 0 if ok else 1
    try:
        sizes = asyncio.run(frame_sizes(ws_url))
        crowd = asyncio.run(classroom(ws_url, args.tabs, args.seconds))
        if not args.classroom_only:
            fast = asyncio.run(stream(ws_url, args.seconds))
            slow = asyncio.run(slow_client(ws_url, proc.pid, args.seconds))
            screen = None if args.no_browser else browser_latency(url)
            pages = {page: (asyncio.run(page_stream(ws_url, args.seconds, page)),
                            None if args.no_browser else page_browser(url, page)) for page in ("images", "text")}
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"glassnet playground, {os.cpu_count()} CPU(s), server: {args.workers} worker process(es) on 127.0.0.1; "
          f"load average before {load_before}, after {load()} (a shared machine lowers every figure)")
    print(f"  frame, default network 2-4-2-1   {sizes['default']:7d} bytes   (goal <= {GOALS['frame_kb']} KB = "
          f"{GOALS['frame_kb'] * 1024}: {'met' if sizes['default'] <= GOALS['frame_kb'] * 1024 else 'MISSED'})")
    print(f"  frame, largest 7-8x6-1          {sizes['largest']:7d} bytes")
    fps = sorted(crowd["fps"])
    lat = crowd["latency_ms"]
    print(f"  {args.tabs} tabs playing at once: frames/s per tab min {fps[0]:.1f} median {statistics.median(fps):.1f} "
          f"max {fps[-1]:.1f}   (goal >= {GOALS['tab_fps']} each: "
          f"{'met' if fps[0] >= GOALS['tab_fps'] else 'MISSED'}; {sum(f >= GOALS['tab_fps'] for f in fps)} of "
          f"{len(fps)} tabs reach it)")
    if lat:
        print(f"  {args.tabs} tabs: control change -> frame, ms {summary(lat)}  ({len(lat)} probes; goal <= "
              f"{GOALS['tab_latency_ms']}: median {'met' if statistics.median(lat) <= GOALS['tab_latency_ms'] else 'MISSED'}"
              f", p95 {'met' if sorted(lat)[int(0.95 * (len(lat) - 1))] <= GOALS['tab_latency_ms'] else 'missed'})")
    goals = (sizes["default"] <= GOALS["frame_kb"] * 1024 and fps[0] >= GOALS["tab_fps"]
             and bool(lat) and statistics.median(lat) <= GOALS["tab_latency_ms"])
    if fast:
        print(f"  one tab, 2-8-8-1 spiral: steps/s {fast['steps_per_s']:.0f} (target >= {TARGETS['steps_per_s']}), "
              f"frames/s {fast['frames_per_s']:.1f} ({fast['frame_kib']:.1f} KiB each), control -> frame ms "
              f"{summary(fast['latency_ms'])}")
        print(f"  slow client (2 reads/s): steps/s {slow['steps_per_s']:.0f}, server RSS "
              f"{slow['rss_start']:.0f} -> max {slow['rss_max']:.0f} -> {slow['rss_end']:.0f} MiB")
    if screen:
        print(f"  on screen (chromium): control change -> drawn, ms {summary(screen['latency_ms'])}; "
              f"frames drawn/s {screen['frames_drawn_per_s']:.1f}")
    if fast:
        goals = all([page_report(fig, shot, page) for page, (fig, shot) in pages.items()]) and goals
    print("  goals met" if goals else "  GOALS MISSED")
    return 0 if goals else 1


if __name__ == "__main__":
    sys.exit(main())
