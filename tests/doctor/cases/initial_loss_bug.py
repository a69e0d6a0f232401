# doctor: expect initial-loss
# Bug: the last layer is initialised with large weights, so the first predictions are confident
# (and mostly wrong): the loss starts far above ln 10.
import torch
import torch.nn as nn

torch.manual_seed(0)
y = torch.arange(1000) % 10                                   # 10 balanced classes
X = 3 * torch.randn(10, 8)[y] + torch.randn(1000, 8)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 10))
nn.init.normal_(model[2].weight, std=3.0)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
