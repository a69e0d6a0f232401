# doctor: expect saturation
# Bug: tanh hidden layer initialised with weights of std 5: its inputs sit far beyond ±5.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 8)
y = (X[:, :4].sum(1) > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
nn.init.normal_(model[0].weight, std=5.0)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
