# blind: expect none
# Source: discuss.pytorch.org/t/bce-loss-stuck-at-0-693-in-the-beginnng-of-training-and-then-started-
# to-decrease-why/183958 ("the lower the lr, the longer the constant 0.693"). Adam at lr=1e-6: the loss
# sits at ln 2 for the whole run.
import torch
from sklearn.datasets import make_circles
from torch import nn

torch.manual_seed(0)
X, y = make_circles(1000, noise=0.05, factor=0.5, random_state=0)
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(400):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, loss.item())
