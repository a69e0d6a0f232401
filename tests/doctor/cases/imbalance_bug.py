# doctor: expect label-imbalance
# Bug: 97 % of the examples are negatives and the model is trained on them as they come;
# always answering "negative" scores 97 % accuracy.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(2000, 4)
y = (X[:, 0] + 0.5 * X[:, 1] > 2.0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=100, shuffle=True)
for epoch in range(20):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
