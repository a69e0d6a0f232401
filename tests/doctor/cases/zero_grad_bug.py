# doctor: expect missing-zero-grad
# Bug: optimizer.zero_grad() is missing, so every backward() adds to the old gradients.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 4)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64, shuffle=True)
for epoch in range(40):
    for xb, yb in loader:
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
