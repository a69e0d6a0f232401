# doctor: expect lr-too-high
# Bug: a regression network on standardised features but raw prices as targets (around
# 200 000), SGD at lr 1e-3: the MSE gradients are huge, each step overshoots further and the
# loss explodes.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(400, 5)
price = 200_000 + 50_000 * X[:, 0] - 30_000 * X[:, 1] + 10_000 * torch.randn(400)
y = price.unsqueeze(1)
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
criterion = nn.MSELoss()
for epoch in range(300):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
print(loss.item())
