# doctor: expect exploding-gradient
# Bug: eight layers initialised with N(0, 1) weights: each layer multiplies the signal by ~4.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(256, 32)
y = X[:, :1] - X[:, 1:2]
layers = []
for _ in range(8):
    layers += [nn.Linear(32, 32), nn.ReLU()]
model = nn.Sequential(*layers, nn.Linear(32, 1))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=1.0)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
