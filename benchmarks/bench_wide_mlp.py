"""A wide MLP where the matrix multiplies dominate: 784-1024-1024-10 ReLU, CrossEntropyLoss,
SGD, batch 256, 30 steps on fixed random data, on glassnet and on PyTorch.  Both sides are
BLAS-bound (each on one thread), so the ratio shows glassnet's overhead."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402

RNG = np.random.default_rng(0)
X_NP = RNG.normal(size=(256, 784)).astype(np.float32)
Y_NP = RNG.integers(0, 10, size=256).astype(np.int64)


def wide_training(lib, steps: int = 30):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                          nn.Linear(1024, 10))
    X, y = lib.tensor(X_NP), lib.tensor(Y_NP)
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss


if __name__ == "__main__":
    compare("wide MLP 784-1024-1024-10, SGD, batch 256, 30 steps", wide_training, goal=1.1)
