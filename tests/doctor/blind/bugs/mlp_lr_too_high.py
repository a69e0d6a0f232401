# blind: expect lr-too-high|nan
# Source: taourl.com "loss become nan in gpu" (optim.SGD(..., lr=1e5), "unreasonably high learning
# rate") and the forum's many "loss becomes nan after a few iterations" threads. Here SGD at lr=5 on a
# standardised regression with a deeper MLP.
import torch
from sklearn.datasets import make_regression
from torch import nn

torch.manual_seed(0)
X, y = make_regression(1000, 8, noise=5.0, random_state=0)
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y / y.std(), dtype=torch.float32).unsqueeze(1)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0, momentum=0.9)
for epoch in range(20):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 50):
        idx = perm[i:i + 50]
        optimizer.zero_grad()
        loss = criterion(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
