# doctor: expect vanishing-gradient
# Bug: ten sigmoid layers deep: each one multiplies the gradient by at most 0.25.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 8)
y = (X[:, :4].sum(1) > 0).float().unsqueeze(1)
layers, width = [], 8
for _ in range(10):
    layers += [nn.Linear(width, 32), nn.Sigmoid()]
    width = 32
model = nn.Sequential(*layers, nn.Linear(32, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
