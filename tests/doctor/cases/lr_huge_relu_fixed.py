# doctor: expect none
# Fixed: the same ReLU classifier with SGD at lr 0.05: updates about 1e-3 of the weights.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 8)
y = (X[:, 0] * X[:, 1] + X[:, 2] - X[:, 3] > 0).long()
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(200):
    for i in range(0, 512, 128):
        optimizer.zero_grad()
        loss = criterion(model(X[i:i + 128]), y[i:i + 128])
        loss.backward()
        optimizer.step()
