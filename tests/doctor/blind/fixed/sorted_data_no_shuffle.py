# blind: expect none
# Source: Stack Overflow "Neural network always predicts the same class" (w3toppers.com mirror) and
# decodetrail.com "Why does my CNN predict only one class": data concatenated class by class and
# batched in that order (DataLoader shuffle=False), so each batch holds one class.
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
order = np.argsort(digits.target, kind="stable")          # files read folder by folder: 0s, 1s, ...
X = torch.tensor(digits.data[order] / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target[order])
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
