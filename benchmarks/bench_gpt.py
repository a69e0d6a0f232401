"""The tiny GPT of ``glassnet lesson gpt`` (``lessons/gpt_model.py``, GPTConfig(): 2 layers, 4 heads,
64 channels, context 32, vocabulary 65) on glassnet and PyTorch, one thread each: one training step
(forward, cross-entropy, zero_grad, backward, AdamW) on a batch of 16 sequences.

The torch model is the glassnet one crossed by ``glassnet.bridge.to_torch`` (the same weights, the
user's own ``forward``), so both compute the same numbers; the printed losses show it."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_time  # noqa: E402

BATCH, STEPS, REPEATS = 16, 10, 15


def models():
    """The glassnet GPT (seed 0) and its torch twin with the same weights."""
    import glassnet
    from glassnet.bridge import to_torch
    from glassnet.lessons.gpt_model import GPT, GPTConfig
    glassnet.manual_seed(0)
    model = GPT(GPTConfig())
    return {"glassnet": model, "torch": to_torch(model)}


def batch(config):
    rng = np.random.RandomState(0)
    data = rng.randint(0, config.vocab_size, size=(BATCH, config.block_size + 1))
    return data[:, :-1], data[:, 1:]


def training_steps(lib, model, steps: int = STEPS):
    """``steps`` AdamW steps of ``model`` on one fixed batch; the last loss."""
    x_np, y_np = batch(model.config)
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    optimizer = lib.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(steps):
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return loss.item()


def blas_floor(config, batch_size: int = BATCH) -> float:
    """Milliseconds of the matrix products alone of one training step, in NumPy on one thread:
    every Linear's forward and its two backward products, and attention's q·kᵀ and p·v with
    theirs, at the step's shapes.  Neither engine can go below it (both call a BLAS of about
    this speed), so it bounds the ratio any overhead saving can reach."""
    rng = np.random.RandomState(0)
    C, T, H, V = config.n_embd, config.block_size, config.n_head, config.vocab_size
    hs, rows = C // H, batch_size * T

    def f32(*shape):
        return rng.randn(*shape).astype(np.float32)

    x, hidden = f32(rows, C), f32(rows, 4 * C)
    linears = ([(x, f32(hs, C))] * (3 * H) + [(x, f32(C, C)), (x, f32(4 * C, C)), (hidden, f32(C, 4 * C))]) \
        * config.n_layer + [(x, f32(V, C))]
    q, kt, p, v = f32(batch_size, T, hs), f32(batch_size, hs, T), f32(batch_size, T, T), f32(batch_size, T, hs)

    def products():
        for inp, w in linears:
            y = inp @ w.T
            y @ w, y.T @ inp
        for _ in range(H * config.n_layer):
            s, o = q @ kt, p @ v
            s @ kt.transpose(0, 2, 1), q.transpose(0, 2, 1) @ s
            o @ v.transpose(0, 2, 1), p.transpose(0, 2, 1) @ o
    return min(best_time(products, 1) for _ in range(20)) * 1000


def main():
    import importlib

    import glassnet
    from threadpoolctl import threadpool_limits
    twins = models()
    torch = importlib.import_module("torch")
    torch.set_num_threads(1)
    libs = {"glassnet": glassnet, "torch": torch}
    ms = {"glassnet": float("inf"), "torch": float("inf")}
    with threadpool_limits(limits=1):  # one BLAS thread, as torch gets one thread
        for name in ("glassnet", "torch"):
            first = training_steps(libs[name], twins[name], 1)  # the same first loss on both engines
            print(f"{name}: first loss {first:.6f}")
        for _ in range(REPEATS):  # alternating, so a busy moment of the machine slows both
            for name in ("glassnet", "torch"):
                lib, model = libs[name], twins[name]
                ms[name] = min(ms[name], best_time(lambda: training_steps(lib, model), 1) / STEPS * 1000)
        floor = blas_floor(twins["glassnet"].config)
    ratio = ms["glassnet"] / ms["torch"]
    print(f"tiny GPT (2 layers, 4 heads, 64 channels, context 32, batch {BATCH}) training step, AdamW: "
          f"glassnet {ms['glassnet']:.2f} ms, PyTorch {ms['torch']:.2f} ms, ratio glassnet/PyTorch = "
          f"{ratio:.2f}  (goal <= 0.7: {'met' if ratio <= 0.7 else 'NOT met'})")
    print(f"  the matrix products alone (NumPy's BLAS, the same shapes): {floor:.2f} ms = "
          f"{floor / ms['torch']:.2f} of PyTorch's step; glassnet's other work {ms['glassnet'] - floor:.2f} ms, "
          f"PyTorch's {ms['torch'] - floor:.2f} ms")
    return ratio


if __name__ == "__main__":
    main()
