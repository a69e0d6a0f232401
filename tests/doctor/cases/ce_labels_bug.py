# doctor: expect labels-vs-loss
# Bug: classes numbered 1..3 for a 3-output CrossEntropyLoss (valid indices are 0..2).
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(300, 4)
y = 1 + (X[:, 0] > 0).long() + (X[:, 1] > 0).long()         # 1, 2 or 3
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
