# doctor: expect none
# The loss falls from the first epoch with a moderately high learning rate (SGD 0.02 on a
# loss summed over minibatches of 20, so 0.4 per example; the last batch of each epoch has
# 18): noisy at the bottom, never diverging.
import torch
import torch.nn as nn
from sklearn.datasets import load_wine
from torch.utils.data import DataLoader, TensorDataset

data = load_wine()
X = torch.tensor(data.data, dtype=torch.float32)
X = (X - X.mean(0)) / X.std(0)
y = torch.tensor(data.target)
torch.manual_seed(0)
loader = DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True)
model = nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss(reduction="sum")
for epoch in range(25):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: loss {total / len(X):.4f}")
