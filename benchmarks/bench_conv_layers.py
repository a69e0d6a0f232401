"""The CIFAR tutorial's two conv layers (batch 32: 3→6 k5 on 32×32, 6→16 k5 on 14×14), forward +
backward, on glassnet and on PyTorch, one thread each; and the peak extra memory of glassnet's
window copies (im2col columns), measured with tracemalloc.

Two cases per layer: the input needs a gradient (a layer inside a network: col2im runs) or not
(a network's first layer: only the weight and bias gradients)."""
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402

LAYERS = {"conv1 3->6 k5 32x32": (3, 6, 32), "conv2 6->16 k5 14x14": (6, 16, 14)}


def workload(c_in, c_out, size, input_grad, steps=50):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, c_in, size, size)).astype(np.float32)
    w = (rng.standard_normal((c_out, c_in, 5, 5)) * 0.1).astype(np.float32)
    b = np.zeros(c_out, np.float32)

    def run(lib):
        tx = lib.tensor(x, requires_grad=input_grad)
        tw, tb = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        for _ in range(steps):
            y = lib.nn.functional.conv2d(tx, tw, tb)
            y.backward(lib.ones_like(y))
    return run


def peak_memory(c_in, c_out, size, input_grad):
    import glassnet
    run = workload(c_in, c_out, size, input_grad, steps=1)
    run(glassnet)
    tracemalloc.start()
    run(glassnet)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cols = 32 * c_in * 25 * (size - 4) ** 2 * 4
    return peak, cols


if __name__ == "__main__":
    for name, (c_in, c_out, size) in LAYERS.items():
        for input_grad in (True, False):
            label = f"{name}, batch 32, 50 x forward+backward, input grad {'yes' if input_grad else 'no'}"
            compare(label, workload(c_in, c_out, size, input_grad), repeats=5)
            peak, cols = peak_memory(c_in, c_out, size, input_grad)
            print(f"    glassnet peak traced memory of one step {peak / 2**20:.1f} MiB; the im2col columns "
                  f"(N·C·KK·L float32) {cols / 2**20:.1f} MiB; the input {32 * c_in * size * size * 4 / 2**20:.2f} MiB")
