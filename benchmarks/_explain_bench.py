"""Shared by the explain benchmarks: a plain step, the recorded step, record + HTML + JSON (best of
several runs, one thread), the overhead ratio and the split; ``--profile`` adds a cProfile."""
import sys
import time

import numpy as np

from glassnet import explain


def best(f, n=7):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts)), r


def report(model, opt, plain, recorded_runs=7):
    """Time ``plain()`` (one training step of ``model`` with ``opt``) bare and recorded."""
    def recorded():
        with explain.record(model, opt) as rec:
            plain()
        return rec

    def full():
        rec = recorded(); rec.ops; rec.to_html(); rec.to_json(); return rec

    def parts():
        t0 = time.perf_counter(); rec = recorded(); rec.ops; t1 = time.perf_counter()
        h = rec.to_html(); t2 = time.perf_counter(); j = rec.to_json(); t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2, len(h), len(j)

    for _ in range(3): plain()
    tp, tpm, _ = best(plain, 15)
    tr, trm, _ = best(recorded, recorded_runs)
    tf, tfm, _ = best(full, 5)
    p = min((parts() for _ in range(5)), key=lambda r: sum(r[:3]))
    print(f"plain step: best {tp*1e3:.1f} ms (median {tpm*1e3:.1f})")
    print(f"recorded step (record only, records flushed lazily): best {tr*1e3:.1f} ms (median {trm*1e3:.1f}); overhead x{tr/tp:.2f}")
    print(f"record + HTML + JSON: best {tf*1e3:.1f} ms (median {tfm*1e3:.1f})")
    print(f"  split (best run): record+flush {p[0]*1e3:.1f} ms, HTML {p[1]*1e3:.1f} ms ({p[3]//1024} KiB), JSON {p[2]*1e3:.1f} ms ({p[4]//1024} KiB)")
    if "--profile" in sys.argv:
        import cProfile, pstats
        cProfile.runctx("full()", globals(), {"full": full}, "/tmp/prof.out")
        pstats.Stats("/tmp/prof.out").sort_stats("cumulative").print_stats(35)
