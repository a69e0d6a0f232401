# doctor: expect overfit-one-batch
# doctor: args --probe
# Bug: a tanh on the output of a regression whose targets reach 5: the model cannot express
# them, not even on a handful of examples.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 3)
y = 2.5 + 2.5 * torch.tanh(X[:, :1] + X[:, 1:2])             # targets in (0, 5)
model = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1), nn.Tanh())
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
