"""glassnet.explain at real sizes: seconds and bytes for recording a step and showing it.

Workloads (issue 11): the digits MLP 64-128-64-10 (batch 64), an MNIST-sized 784-256-10
(batch 32) and a 1.2 M-parameter MLP 784-1024-384-10 (batch 256), each one training step
(cross-entropy, Adam) recorded with ``explain.record``, then rendered as the default HTML
(``_repr_html_``) and the default JSON (best of three runs).  Also: the digits step in full
detail, and the recording's overhead on a training step.  Goals are printed beside each number.

    python benchmarks/bench_explain.py            # the table
    python benchmarks/bench_explain.py --profile  # cProfile of the slowest workload's rendering
"""
from __future__ import annotations

import sys
import time

import numpy as np

import glassnet
from glassnet import explain, nn

MB = 1_000_000


def digits_batch(n: int = 64):
    try:
        from sklearn.datasets import load_digits
        data = load_digits()
        x = data.data[:n].astype(np.float32)
        x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)
        return x.astype(np.float32), data.target[:n].astype(np.int64)
    except ImportError:       # the same shapes without scikit-learn
        rng = np.random.default_rng(0)
        return rng.standard_normal((n, 64)).astype(np.float32), rng.integers(0, 10, n)


def random_batch(n: int, d: int, classes: int):
    rng = np.random.default_rng(0)
    return rng.random((n, d), dtype=np.float32), rng.integers(0, classes, n)


def mlp(sizes):
    glassnet.manual_seed(0)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def train_step(model, opt, x, y):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def recorded(sizes, batch):
    model = mlp(sizes)
    opt = glassnet.optim.Adam(model.parameters(), lr=0.005)
    xs, ys = digits_batch(batch) if sizes[0] == 64 else random_batch(batch, sizes[0], sizes[-1])
    x, y = glassnet.tensor(xs), glassnet.tensor(ys)
    start = time.perf_counter()
    with explain.record(model, opt) as step:
        train_step(model, opt, x, y)
    return step, time.perf_counter() - start, (model, opt, x, y)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def overhead(model, opt, x, y, repeats: int = 30) -> float:
    """Best recorded step time / best plain step time, the two interleaved (after a warm-up), so
    that a busy machine slows both alike."""
    def with_record():
        with explain.record(model, opt):
            train_step(model, opt, x, y)

    def plain():
        train_step(model, opt, x, y)
    best = {with_record: float("inf"), plain: float("inf")}
    for i in range(repeats + 1):
        for fn in (with_record, plain):
            t0 = time.perf_counter()
            fn()
            if i:
                best[fn] = min(best[fn], time.perf_counter() - t0)
    return best[with_record] / best[plain]


def row(name, sizes, batch, goal_s, repeats: int = 3):
    """The best of ``repeats`` runs (a fresh model each), as timeit reports: one run on a
    shared machine can be stalled by something else."""
    best = None
    for _ in range(repeats):
        step, t_rec, parts = recorded(sizes, batch)
        html, t_html = timed(step._repr_html_)
        js, t_json = timed(step.to_json)
        if best is None or t_rec + t_html + t_json < sum(best[2:5]):
            best = (step, parts, t_rec, t_html, t_json, html, js)
    step, parts, t_rec, t_html, t_json, html, js = best
    total = t_rec + t_html + t_json
    ok = total <= goal_s and len(html.encode()) <= MB and len(js.encode()) <= MB
    params = sum(int(np.size(p.before)) for p in step.params)
    print(f"{name:<26} {params:>9,} {t_rec:7.3f} {t_html:7.3f} {t_json:7.3f} {total:7.3f} "
          f"{len(html.encode()) / 1000:9.1f} {len(js.encode()) / 1000:9.1f}   ≤ {goal_s} s, ≤ 1 MB: "
          f"{'met' if ok else 'NOT met'}")
    return step, parts


def main() -> None:
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        print(f"{'network, batch':<26} {'params':>9} {'record':>7} {'html':>7} {'json':>7} {'total':>7} "
              f"{'html kB':>9} {'json kB':>9}")
        row("2-16-8-2, 32", [2, 16, 8, 2], 32, 0.3)
        digits, parts = row("64-128-64-10 (digits), 64", [64, 128, 64, 10], 64, 0.3)
        row("784-256-10, 32", [784, 256, 10], 32, 1.0)
        row("784-1024-384-10, 256", [784, 1024, 384, 10], 256, 1.0)
        (html, t_html), (js, t_json) = min(
            ((timed(lambda: digits.to_html(detail="full")), timed(lambda: digits.to_json(detail="full")))
             for _ in range(3)), key=lambda pair: pair[0][1] + pair[1][1])
        print(f"digits step in full detail: html {t_html:.3f} s ({len(html.encode()) / 1000:.0f} kB), "
              f"json {t_json:.3f} s ({len(js.encode()) / 1000:.0f} kB), total {t_html + t_json:.3f} s "
              f"(goal ≤ 5 s: {'met' if t_html + t_json <= 5 else 'NOT met'})")
        for name, sizes, batch in (("digits", [64, 128, 64, 10], 64), ("784-256-10", [784, 256, 10], 32)):
            _, _, (model, opt, x, y) = recorded(sizes, batch)
            ratio = overhead(model, opt, x, y)
            print(f"recording overhead on a {name} training step: {ratio:.2f}× the step without "
                  f"recording (goal ≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'})")
        for every in (10, 1):
            ratio = trace_overhead(every=every)
            goal = f"(goal ≤ 1.2×: {'met' if ratio <= 1.2 else 'NOT met'})" if every == 10 else "(no goal)"
            print(f"explain.trace(every={every}) on 1000 digits training steps: {ratio:.2f}× the loop's time {goal}")


def trace_overhead(steps: int = 1000, every: int = 10, repeats: int = 6) -> float:
    """A digits training loop of ``steps`` mini-batches, with and without ``explain.trace``."""
    xs, ys = digits_batch(1797 if sizes_ok() else 64)
    batches = [(glassnet.tensor(xs[i:i + 64]), glassnet.tensor(ys[i:i + 64]))
               for i in range(0, len(xs) - 63, 64)]

    def loop(traced: bool):
        model = mlp([64, 128, 64, 10])
        opt = glassnet.optim.Adam(model.parameters(), lr=0.005)
        start = time.perf_counter()
        if traced:
            with explain.trace(model, opt, every=every):
                for i in range(steps):
                    train_step(model, opt, *batches[i % len(batches)])
        else:
            for i in range(steps):
                train_step(model, opt, *batches[i % len(batches)])
        return time.perf_counter() - start
    loop(False)
    plain = traced = float("inf")
    for _ in range(repeats):                 # interleaved, so a busy machine slows both alike
        plain = min(plain, loop(False))
        traced = min(traced, loop(True))
    return traced / plain


def sizes_ok() -> bool:
    try:
        import sklearn  # noqa: F401
        return True
    except ImportError:
        return False


def profile() -> None:
    import cProfile
    import pstats
    step, _, _ = recorded([784, 1024, 384, 10], 256)
    with cProfile.Profile() as prof:
        step._repr_html_()
        step.to_json()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    profile() if "--profile" in sys.argv else main()
