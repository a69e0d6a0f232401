# blind: expect none
# Source: the forum's "deep network with sigmoid doesn't learn / gradients are zero in first layers"
# threads (Glorot & Bengio 2010; d2l "Numerical Stability and Initialization", 5.4): a 10-layer
# sigmoid MLP with N(0, 1) initialisation, SGD; the first layers get almost no gradient.
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
layers = [nn.Linear(64, 64), nn.ReLU()]
for _ in range(9):
    layers += [nn.Linear(64, 64), nn.ReLU()]
layers += [nn.Linear(64, 10)]
net = nn.Sequential(*layers)
for m in net.modules():
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(300):
    idx = torch.randint(0, len(X), (64,))
    optimizer.zero_grad()
    loss = loss_fn(net(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
print(loss.item())
