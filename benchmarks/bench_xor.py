"""A 2-2-1 sigmoid XOR network (seed 003's set-up: BCE, lr 1.0) trained full batch for
10,000 epochs with tensors and a manual update under no_grad, on glassnet and on PyTorch."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402


def xor_training(lib, epochs: int = 10_000):
    rng = np.random.RandomState(42)
    X = lib.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = lib.tensor([[0.0], [1.0], [1.0], [0.0]])
    W1 = lib.tensor((rng.randn(2, 2) * 0.5).astype(np.float32), requires_grad=True)
    W2 = lib.tensor((rng.randn(2, 1) * 0.5).astype(np.float32), requires_grad=True)
    b1 = lib.zeros(1, 2, requires_grad=True)
    b2 = lib.zeros(1, 1, requires_grad=True)
    params = [W1, b1, W2, b2]
    for _ in range(epochs):
        h = lib.sigmoid(X @ W1 + b1)
        p = lib.sigmoid(h @ W2 + b2)
        loss = -(Y * lib.log(p) + (1 - Y) * lib.log(1 - p)).mean()
        loss.backward()
        with lib.no_grad():
            for q in params:
                q -= 1.0 * q.grad
                q.grad.zero_()
    return loss


def xor_training_nn(lib, epochs: int = 10_000):
    """The same network written as a PyTorch user would: nn.Sequential, BCELoss, optim.SGD."""
    rng = np.random.RandomState(42)
    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sigmoid(), lib.nn.Linear(2, 1), lib.nn.Sigmoid())
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor((rng.randn(2, 2) * 0.5).astype(np.float32).T))
        model[2].weight.copy_(lib.tensor((rng.randn(2, 1) * 0.5).astype(np.float32).T))
        model[0].bias.zero_()
        model[2].bias.zero_()
    X = lib.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = lib.tensor([[0.0], [1.0], [1.0], [0.0]])
    loss_fn = lib.nn.BCELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(epochs):
        loss = loss_fn(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss


if __name__ == "__main__":
    compare("XOR 2-2-1 sigmoid, full batch, 10,000 epochs (tensors, manual update)", xor_training,
            goal=0.5)
    compare("XOR 2-2-1 sigmoid, full batch, 10,000 epochs (nn.Sequential, BCELoss, SGD)",
            xor_training_nn, goal=0.5)
