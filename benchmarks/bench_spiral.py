"""Seed 003's spiral classifier: 2-16-8-1 ReLU MLP, BCEWithLogitsLoss, Adam (lr 0.01), 400 points,
500 full-batch epochs, on glassnet and on PyTorch; prints the ratio glassnet/PyTorch."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402


def spiral_data(n_points=200, noise=0.2):
    """The seed's create_spiral_data (np.random.seed(42)), as NumPy float32 arrays."""
    rs = np.random.RandomState(42)
    theta, r = np.linspace(0, 4 * np.pi, n_points), np.linspace(0.5, 2, n_points)
    x0, y0 = r * np.cos(theta) + rs.randn(n_points) * noise, r * np.sin(theta) + rs.randn(n_points) * noise
    x1 = r * np.cos(theta + np.pi) + rs.randn(n_points) * noise
    y1 = r * np.sin(theta + np.pi) + rs.randn(n_points) * noise
    X = np.column_stack([np.concatenate([x0, x1]), np.concatenate([y0, y1])])
    y = np.concatenate([np.zeros(n_points), np.ones(n_points)])
    idx = rs.permutation(len(y))
    return X[idx].astype(np.float32), y[idx].astype(np.float32)[:, None]


X_NP, Y_NP = spiral_data()


def spiral_training(lib, epochs: int = 500):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
    X, y = lib.tensor(X_NP), lib.tensor(Y_NP)
    criterion = nn.BCEWithLogitsLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        outputs = model(X)
        loss = criterion(outputs, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with lib.no_grad():
            accuracy = ((lib.sigmoid(outputs) > 0.5).float() == y).float().mean()
        loss.item(), accuracy.item()
    return loss


if __name__ == "__main__":
    compare("spiral 2-16-8-1, Adam, 400 points, 500 full-batch epochs (seed 003)", spiral_training,
            goal=0.5)
