# blind: expect unscaled-input|lr-too-high|nan|exploding-gradient
# Source: Stack Overflow / forum "Linear regression loss explodes to inf/nan in PyTorch" threads (raw
# house areas and prices, SGD at lr 0.01): unscaled features and targets make the first gradients
# huge and SGD diverges.
import torch
from torch import nn

torch.manual_seed(0)
n = 800
area = torch.rand(n) * 3000 + 500             # square feet
rooms = torch.randint(1, 7, (n,)).float()
age = torch.rand(n) * 80
price = 150 * area + 10000 * rooms - 500 * age + 20000 * torch.randn(n)
X = torch.stack([area, rooms, age], 1)
y = price.unsqueeze(1)
model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(300):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 50 == 0:
        print(epoch, loss.item())
