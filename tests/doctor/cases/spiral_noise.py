# doctor: expect noise-limited
# The seed's spiral (noise 0.2) and network: no bug, but the data allow only about 60 %.
import numpy as np
import torch
import torch.nn as nn


def create_spiral_data(n_points=100, noise=0.2):
    np.random.seed(42)
    theta = np.linspace(0, 4 * np.pi, n_points)
    r = np.linspace(0.5, 2, n_points)
    x0 = r * np.cos(theta) + np.random.randn(n_points) * noise
    y0 = r * np.sin(theta) + np.random.randn(n_points) * noise
    x1 = r * np.cos(theta + np.pi) + np.random.randn(n_points) * noise
    y1 = r * np.sin(theta + np.pi) + np.random.randn(n_points) * noise
    X = np.column_stack([np.concatenate([x0, x1]), np.concatenate([y0, y1])])
    y = np.concatenate([np.zeros(n_points), np.ones(n_points)])
    idx = np.random.permutation(len(y))
    return torch.FloatTensor(X[idx]), torch.FloatTensor(y[idx]).unsqueeze(1)


X, y = create_spiral_data(n_points=200)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(500):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
