# doctor: expect frozen
# Bug: .detach() in forward() cuts the graph: the first layer never gets a gradient.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 4)
y = (X[:, 0] * X[:, 1] > 0).float().unsqueeze(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 32), nn.Linear(32, 1)

    def forward(self, x):
        h = torch.relu(self.fc1(x)).detach()
        return self.fc2(h)


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.BCEWithLogitsLoss()
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
