# doctor: expect none
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
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")   # std √(2/32)
        nn.init.zeros_(m.bias)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
