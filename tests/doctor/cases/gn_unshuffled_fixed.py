# doctor: expect none
# glassnet (import glassnet as torch): the same program on glassnet's engine.
# Fixed: shuffle=True draws every batch from all classes.
import glassnet as torch
import glassnet.nn as nn
from sklearn.datasets import load_digits
from glassnet.utils.data import DataLoader, TensorDataset

digits = load_digits()
order = digits.target.argsort(kind="stable")
X = torch.tensor(digits.data[order] / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target[order])
torch.manual_seed(0)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
