# blind: expect label-imbalance
# Source: decodetrail.com "Why does my CNN predict only one class" ("class imbalance silently trains
# your model to cheat") and codegenes.net "Binary classification always returning zero in PyTorch":
# 1 positive in 60, plain BCE, the model settles on "never".
import torch
from sklearn.datasets import make_classification
from torch import nn

torch.manual_seed(0)
X, y = make_classification(6000, 10, n_informative=4, weights=[0.985], flip_y=0, class_sep=0.6,
                           random_state=0)
X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32).unsqueeze(1)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=128, shuffle=True)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(5):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item(), (model(X) > 0).float().mean().item())
