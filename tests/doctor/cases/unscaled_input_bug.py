# doctor: expect unscaled-input
# Bug: raw features (a price in dollars and an area in square feet) go straight into the network.
import torch
import torch.nn as nn

torch.manual_seed(0)
z = torch.randn(512, 2)
X = torch.stack([250_000 + 80_000 * z[:, 0], 1_800 + 400 * z[:, 1]], dim=1)
y = (z[:, 0] + z[:, 1] > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
