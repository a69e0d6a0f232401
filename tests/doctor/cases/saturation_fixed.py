# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 8)
y = (X[:, :4].sum(1) > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
nn.init.xavier_uniform_(model[0].weight)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
