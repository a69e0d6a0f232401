# doctor: expect exploding-gradient
# A regression MLP trained with plain SGD on sensor data with rare glitches (0.3% of the rows
# read 25× too large). A batch that holds one gives a gradient hundreds of times the usual:
# the loss spikes far above where training started and then recovers, again and again.
# Nothing bounds the update (no gradient clipping).
import torch
import torch.nn as nn

torch.manual_seed(2)
n = 4096
X = torch.randn(n, 8)
y = X @ torch.randn(8, 1) + 0.1 * torch.randn(n, 1)
glitch = torch.rand(n) < 0.003
X[glitch] *= 25
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.005)
for step in range(200):
    idx = torch.randint(0, n, (64,))
    loss = nn.functional.mse_loss(model(X[idx]), y[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
