# doctor: expect no-training
# Bug: the loop computes gradients but never calls optimizer.step().
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 4)
y = (X[:, 0] + X[:, 1] > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(100):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
print(f"final loss {loss.item():.4f}")
