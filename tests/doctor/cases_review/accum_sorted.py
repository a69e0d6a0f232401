import glassnet as torch
import glassnet.nn as nn
torch.manual_seed(0)
X = torch.randn(960, 4); y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
order = torch.argsort(y); X, y = X[order], y[order]          # sorted by class, never shuffled
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16, shuffle=False)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
ACC = 2
for epoch in range(5):
    for i, (xb, yb) in enumerate(loader):
        loss = nn.functional.cross_entropy(model(xb), yb) / ACC
        loss.backward()
        if (i + 1) % ACC == 0:
            opt.step(); opt.zero_grad()
