"""Digits (1797 8×8 images, standardised): 64-128-64-10 ReLU MLP, CrossEntropyLoss, Adam
(lr 0.005), mini-batches of 64 from a shuffling DataLoader, 20 epochs, on glassnet and PyTorch."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import compare  # noqa: E402


def digits_data():
    from sklearn.datasets import load_digits
    data = load_digits()
    X = data.data.astype(np.float32)
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1)
    return X.astype(np.float32), data.target.astype(np.int64)


X_NP, Y_NP = digits_data()


def digits_training(lib, epochs: int = 20):
    lib.manual_seed(0)
    nn, data = lib.nn, lib.utils.data
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    loader = data.DataLoader(data.TensorDataset(lib.tensor(X_NP), lib.tensor(Y_NP)), batch_size=64,
                             shuffle=True, generator=lib.Generator().manual_seed(0))
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=0.005)
    for _ in range(epochs):
        for xb, yb in loader:
            loss = criterion(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss


if __name__ == "__main__":
    compare("digits 64-128-64-10, Adam, batch 64 (DataLoader), 20 epochs", digits_training, goal=1.0)
