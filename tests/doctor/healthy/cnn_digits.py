# doctor: expect none
# A small CNN on scikit-learn's 8×8 digits with batch norm, a shuffled DataLoader, Adam, and
# an evaluation in eval mode after each epoch.
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
y = torch.tensor(digits.target)
train = DataLoader(TensorDataset(X[:1400], y[:1400]), batch_size=32, shuffle=True)
Xval, yval = X[1400:], y[1400:]
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
    nn.Flatten(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(5):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(Xval).argmax(1) == yval).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.3f}, validation accuracy {acc:.2%}")
