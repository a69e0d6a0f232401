# doctor: expect lr-too-high
# Bug: plain SGD with a learning rate of 2.0 on a regression: every step overshoots.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(256, 3)
y = (X @ torch.tensor([[1.5], [-2.0], [0.5]])) + 0.1 * torch.randn(256, 1)
model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
for epoch in range(300):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
