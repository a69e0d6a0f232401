# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(512, 6)
y = (X[:, :3].sum(1) > 0).long()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 32), nn.ReLU())

    def forward(self, x):
        return self.head(self.body(x))


model = Net()
model.head = nn.Linear(32, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
for epoch in range(200):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
