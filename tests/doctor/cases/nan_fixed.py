# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.cat([torch.randn(400, 3), torch.ones(400, 1)], dim=1)   # last column constant
y = (X[:, 0] > 0).float().unsqueeze(1)
X = (X - X.mean(0)) / X.std(0).clamp_min(1e-8)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
