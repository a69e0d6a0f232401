# doctor: expect dead-relu
# Bug: the hidden layer's biases start at -5 "to make the units sparse": almost all of them
# are negative for every input and never recover.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 4)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
nn.init.constant_(model[0].bias, -5.0)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
