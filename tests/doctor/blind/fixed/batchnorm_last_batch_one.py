# blind: expect none
# Source: duoke360.com/post/34428 and the forum's "ValueError: Expected more than 1 value per channel
# when training": 1601 samples, batch_size=32, drop_last=False, so the last batch holds one sample and
# BatchNorm1d raises at the end of the first epoch.
import torch
from sklearn.datasets import make_classification
from torch import nn

torch.manual_seed(0)
X, y = make_classification(1601, 12, n_informative=6, random_state=0)
ds = torch.utils.data.TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True, drop_last=True)
model = nn.Sequential(nn.Linear(12, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
