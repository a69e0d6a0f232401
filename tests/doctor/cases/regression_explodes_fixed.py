# doctor: expect none
# Fixed: the targets standardised too (predict (price - mean) / std, undo it when reporting).
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(400, 5)
price = 200_000 + 50_000 * X[:, 0] - 30_000 * X[:, 1] + 10_000 * torch.randn(400)
mean, std = price.mean(), price.std()
y = ((price - mean) / std).unsqueeze(1)
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
criterion = nn.MSELoss()
for epoch in range(300):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
print(loss.item() * std.item() ** 2)
