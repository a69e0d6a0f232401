"""20 concurrent sessions on 127.0.0.1: none disturbs another (bounded in count and time)."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glassnet.playground.protocol import Config
from glassnet.playground.trainer import Trainer

from .conftest import Client, wait_until

N_SESSIONS = 20
STEPS = 150
ACTS = ("relu", "tanh", "sigmoid", "linear")
OPTS = ("sgd", "momentum", "adam", "rmsprop")
SETS = ("circle", "xor", "gaussian", "spiral", "moons")


def setup(i: int) -> dict:
    return {"seed": 100 + i, "activation": ACTS[i % 4], "optimizer": OPTS[(i // 4) % 4],
            "dataset": SETS[i % 5], "hidden": [1 + i % 8, 1 + (3 * i) % 8], "learning_rate": 0.03,
            "regularization": ("none", "l1", "l2")[i % 3], "reg_rate": 0.001 * (i % 3),
            "features": ["x1", "x2", "x1x2"] if i % 2 else ["x1", "x2"]}


def reference(i: int):
    """The same set-up trained alone, in this thread: what session i must end with."""
    t = Trainer(Config(**setup(i)))
    for _ in range(STEPS):
        t.train_step()
    return [lin.weight.array.tolist() for lin in t.linears], t.steps


def run_session(ws_url: str, i: int):
    c = Client(ws_url)
    try:
        c.request("state", type="set", config=setup(i))
        c.send(type="play")                              # everyone trains at once for a while
        c.wait("frame", lambda m: m["playing"] and m["step"] > 20, timeout=30)
        c.request(type="pause")
        c.request(type="reset")
        f = c.request(type="step", n=STEPS)              # then a deterministic run to compare
        return [layer["w"] for layer in f["layers"]], f["step"], c.session_id
    finally:
        c.close()


def test_twenty_concurrent_sessions_train_as_if_alone(server):
    start = time.monotonic()
    with ThreadPoolExecutor(N_SESSIONS) as pool:
        results = list(pool.map(lambda i: run_session(server.ws_url, i), range(N_SESSIONS)))
    elapsed = time.monotonic() - start
    assert len({sid for _, _, sid in results}) == N_SESSIONS
    for i, (weights, steps, _) in enumerate(results):
        ref_weights, ref_steps = reference(i)
        assert steps == ref_steps
        for got, want in zip(weights, ref_weights):
            np.testing.assert_array_equal(np.array(got, dtype=np.float32), np.array(want, dtype=np.float32))
    print(f"{N_SESSIONS} sessions in {elapsed:.1f} s")   # speed: benchmarks/bench_playground.py
    assert wait_until(lambda: len(server.registry) == 0, timeout=10)


def test_the_session_count_is_bounded():
    from glassnet.playground import PlaygroundServer
    with PlaygroundServer(max_sessions=2) as srv:
        a, b = Client(srv.ws_url), Client(srv.ws_url)
        try:
            from websockets.sync.client import connect
            with connect(srv.ws_url) as ws:
                m = json.loads(ws.recv(timeout=5))
                assert m["type"] == "error" and "already runs 2 sessions" in m["message"]
        finally:
            a.close()
            b.close()
