"""Shared timing for the benchmarks: each workload runs on glassnet and on PyTorch in the
same process, best of a few repeats, and the ratio glassnet/PyTorch is printed.  Both run on
one thread (NumPy's BLAS through threadpoolctl, torch through set_num_threads), so neither
side wins by using the second core."""
from __future__ import annotations

import importlib
import time


def best_time(run, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def compare(name: str, workload, repeats: int = 3, goal: float | None = None) -> float | None:
    """Time ``workload(lib)`` for glassnet and torch; print both times and the ratio."""
    import glassnet
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):  # one BLAS thread, as torch gets one thread below
        g = best_time(lambda: workload(glassnet), repeats)
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        print(f"{name}: glassnet {g:.3f} s; PyTorch not installed, no ratio "
              f"(pip install torch==2.13.0)")
        return None
    torch.set_num_threads(1)
    t = best_time(lambda: workload(torch), repeats)
    ratio = g / t
    verdict = "" if goal is None else (f"  (goal <= {goal}: {'met' if ratio <= goal else 'NOT met'})")
    print(f"{name}: glassnet {g:.3f} s, PyTorch {t:.3f} s, ratio glassnet/PyTorch = {ratio:.2f}{verdict}")
    return ratio
