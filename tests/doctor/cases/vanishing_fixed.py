# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 8)
y = (X[:, :4].sum(1) > 0).float().unsqueeze(1)
layers, width = [], 8
for _ in range(10):
    layers += [nn.Linear(width, 32), nn.ReLU()]
    width = 32
model = nn.Sequential(*layers, nn.Linear(32, 1))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")   # keeps the signal's size per layer
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
