# doctor: expect none
# log_softmax before CrossEntropyLoss: a classic "double softmax" on paper, harmless in fact —
# log_softmax is idempotent (log_softmax(log_softmax(z)) = log_softmax(z)), so the loss and its
# gradients are exactly those of the logits. The script checks that before training.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.randn(600, 5)
y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 3), nn.LogSoftmax(dim=1))
z = model[:3](X)
assert torch.allclose(F.cross_entropy(F.log_softmax(z, 1), y), F.cross_entropy(z, y))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(200):
    loss = criterion(model(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
