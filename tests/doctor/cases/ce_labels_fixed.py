# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(300, 4)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()         # 0, 1 or 2
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
