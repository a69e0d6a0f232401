"""The cost of ``glassnet train``'s divergence watch (per step: the loss and one sum per
gradient; the observer only replays a step that went non-finite): the training loop of ``--data digits`` (64-64-10, Adam,
batches of 64) with and without it, interleaved, best of several repeats; prints the ratio."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


class _NoWatch:
    def __init__(self, model):
        pass

    def begin(self, *args):
        pass

    def check_loss(self, *args):
        pass

    def check_gradients(self, *args):
        pass


def main(repeats: int = 5, epochs: int = 5) -> float:
    from threadpoolctl import threadpool_limits

    from glassnet.data.loader import batches, epoch_orders
    from glassnet.training import loop, resolve
    from glassnet.training.divergence import Watch
    from glassnet.training.model import initial_model
    from glassnet.training.prepared import prepare
    spec = resolve({"data": "digits", "epochs": epochs})
    prepared = prepare(spec)
    n = len(prepared.train_idx)

    def train(watch_class):
        loop.Watch = watch_class
        runner = loop.GlassnetRunner(spec, prepared, initial_model(spec, prepared))
        orders = epoch_orders(n, spec.seed)
        start = time.perf_counter()
        for epoch in range(epochs):
            runner.train_epoch(epoch, batches(next(orders), spec.batch_size))
        return time.perf_counter() - start

    best = {Watch: float("inf"), _NoWatch: float("inf")}
    with threadpool_limits(limits=1):
        for _ in range(repeats):
            for kind in best:
                best[kind] = min(best[kind], train(kind))
    loop.Watch = Watch
    runner = loop.GlassnetRunner(spec, prepared, initial_model(spec, prepared))
    runner.train_epoch(0, batches(next(epoch_orders(n, spec.seed)), spec.batch_size))
    checks = 2000
    start = time.perf_counter()
    for _ in range(checks):  # what a finite step pays: the loss and one sum per gradient
        runner.watch.begin(0, 1)
        runner.watch.check_loss(0.5, None, spec.lr)
        runner.watch.check_gradients(None)
    per_step = (time.perf_counter() - start) / checks
    ratio = best[Watch] / best[_NoWatch]
    print(f"divergence watch (digits, {epochs} epochs, {epochs * len(batches(range(n), 64))} steps): "
          f"with {best[Watch]:.3f} s, without {best[_NoWatch]:.3f} s, ratio with/without = "
          f"{ratio:.2f}; the checks alone: {per_step * 1e6:.1f} µs per step, "
          f"{per_step / (best[_NoWatch] / (epochs * len(batches(range(n), 64)))):.1%} of a step")
    return ratio


if __name__ == "__main__":
    main()
