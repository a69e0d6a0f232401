# doctor: expect none
# Fixed: F.dropout(x, 0.5, training=self.training) follows model.train()/model.eval().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.randn(600, 6)
y = (X[:, 0] - X[:, 1] > 0).long()
Xtr, ytr, Xte, yte = X[:500], y[:500], X[500:], y[500:]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 64)
        self.fc2 = nn.Linear(64, 2)

    def forward(self, x):
        return self.fc2(F.dropout(F.relu(self.fc1(x)), 0.5, training=self.training))


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(100):
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(Xtr), ytr)
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(Xte).argmax(1) == yte).float().mean()
print(f"test accuracy {accuracy:.2%}")
