# blind: expect none
# Source: PyTorch forum "Model weights not updating / loss not changing" threads whose answer is "you
# never call optimizer.step()": zero_grad and backward every batch, no step.
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from torch import nn

torch.manual_seed(0)
X, y = load_breast_cancer(return_X_y=True)
X = torch.tensor(StandardScaler().fit_transform(X), dtype=torch.float32)
y = torch.tensor(y, dtype=torch.float32)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.layers(x).squeeze(1)


clf = Classifier()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(clf.parameters(), lr=1e-3)
for epoch in range(20):
    perm = torch.randperm(len(X))
    for i in range(0, len(X), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = criterion(clf(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
