"""An LSTM training step on glassnet and PyTorch, one thread each: ``nn.LSTM(32, 128,
num_layers=2)`` over sequences of 50 steps, batch 32 (input size 32 chosen here), a ``Linear(128, 1)``
head on every step's output, MSE loss against a formula target and one Adam step.  The issue's goal:
glassnet/PyTorch ≤ 1.5 for the full step (forward, backward, update)."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402

T, B, I, H = 50, 32, 32, 128
_grid = np.arange(T * B * I, dtype=np.float32).reshape(T, B, I)
X = np.sin(_grid * 0.017).astype(np.float32)
Y = np.cos(X.sum(axis=2, keepdims=True) * 0.3).astype(np.float32)


def lstm_steps(lib, steps: int = 5):
    lib.manual_seed(0)
    nn = lib.nn
    lstm, head = nn.LSTM(I, H, num_layers=2), nn.Linear(H, 1)
    optimizer = lib.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    x, y = lib.tensor(X), lib.tensor(Y)
    for _ in range(steps):
        optimizer.zero_grad()
        output, _ = lstm(x)
        loss = nn.functional.mse_loss(head(output), y)
        loss.backward()
        optimizer.step()
    return loss


if __name__ == "__main__":
    compare(f"LSTM 2 layers, hidden {H}, input {I}, sequence {T}, batch {B}, Linear head, MSE, Adam, "
            f"5 training steps", lstm_steps, repeats=5, goal=1.5)
