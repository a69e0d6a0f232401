"""Seed 001's dose network, final bias trained per sample for 1000 epochs (no early stop),
written with tensors and a manual update under no_grad, on glassnet and on PyTorch."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402


def dose_training(lib, epochs: int = 1000):
    w00, b00, w01 = lib.tensor(1.7), lib.tensor(-0.85), lib.tensor(-40.8)
    w10, b10, w11 = lib.tensor(12.6), lib.tensor(0.0), lib.tensor(2.7)
    final_bias = lib.tensor(0.0, requires_grad=True)
    inputs, labels = lib.tensor([0.0, 0.5, 1.0]), lib.tensor([0.0, 1.0, 0.0])
    for _ in range(epochs):
        total = 0.0
        for i in range(len(inputs)):
            x = inputs[i]
            top = lib.relu(x * w00 + b00) * w01
            bottom = lib.relu(x * w10 + b10) * w11
            out = lib.relu(top + bottom + final_bias)
            loss = (out - labels[i]) ** 2
            loss.backward()
            total += loss.item()
        with lib.no_grad():
            final_bias -= 0.1 * final_bias.grad
        final_bias.grad.zero_()
    return final_bias


if __name__ == "__main__":
    compare("dose network, per-sample SGD, 1000 epochs", dose_training, goal=0.5)
