# doctor: expect labels-vs-loss
# Bug: labels are 1 and 2 (as in the file they came from), given to BCEWithLogitsLoss.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 4)
y = (X[:, 0] - X[:, 3] > 0).float().unsqueeze(1) + 1        # 1 or 2
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(300):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
