# doctor: expect none
# The glitchy-sensor regression with the gradient norm clipped to 1 before each step (the
# fixed twin of loss_spike_bug.py).
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
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
print(loss.item())
