"""An nn.Module trained with MSELoss and SGD (momentum), as in PyTorch's "Learning PyTorch with
Examples" nn/optim sections; weights copied in from a deterministic formula."""
import math

import torch
from torch import nn


class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.1))
        self.b = nn.Parameter(torch.tensor(-0.2))
        self.c = nn.Parameter(torch.tensor(0.05))
        self.d = nn.Parameter(torch.tensor(0.01))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():.3f} + {self.b.item():.3f} x + {self.c.item():.3f} x^2 + {self.d.item():.3f} x^3"


x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
y = torch.sin(x)
model = Polynomial3().double()
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)
for t in range(1000):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.6f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"Result: {model.string()}")

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
linear = torch.nn.Linear(3, 1).double()
flatten = torch.nn.Flatten(0, 1)
with torch.no_grad():
    linear.weight.copy_(torch.tensor([[0.5, -0.1, 0.02]]))
    linear.bias.fill_(0.0)
net = torch.nn.Sequential(linear, flatten)
print(net)
print(xx.shape, net(xx).shape)
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3)
for t in range(300):
    loss = torch.nn.functional.mse_loss(net(xx), y, reduction="sum")
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"{loss.item():.4f}")
print([f"{v:.4f}" for v in net[0].weight.detach().flatten().tolist()])
