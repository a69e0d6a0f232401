# blind: expect labels-vs-loss
# Source: PyTorch forum "IndexError: Target 3 is out of bounds" (nll_loss), the classic of labels
# numbered 1..C (from R/MATLAB or a CSV) fed to CrossEntropyLoss, which wants 0..C-1. Iris.
import torch
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from torch import nn

torch.manual_seed(0)
X, y = load_iris(return_X_y=True)
X = torch.tensor(StandardScaler().fit_transform(X), dtype=torch.float32)
y = torch.tensor(y) + 1          # species coded 1, 2, 3 as in the CSV
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    idx = torch.randperm(150)[:32]
    optimizer.zero_grad()
    loss = criterion(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
print(loss.item())
