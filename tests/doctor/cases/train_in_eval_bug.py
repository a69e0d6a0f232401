# doctor: expect train-in-eval-mode
# Bug: the validation helper calls model.eval() and nothing calls model.train() again, so from
# the second epoch on every training step runs with dropout off and batch norm frozen on its
# running statistics.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(1200, 10)
y = (X[:, :3].sum(1) > 0).long()
train = DataLoader(TensorDataset(X[:1000], y[:1000]), batch_size=50, shuffle=True)
model = nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(64, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def validate():
    model.eval()
    with torch.no_grad():
        return (model(X[1000:]).argmax(1) == y[1000:]).float().mean().item()


model.train()
for epoch in range(15):
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: validation accuracy {validate():.2%}")
