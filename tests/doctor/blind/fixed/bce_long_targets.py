# blind: expect none
# Source: PyTorch forum "RuntimeError: result type Float can't be cast to the desired output type Long"
# with BCEWithLogitsLoss: integer 0/1 labels straight from numpy. Moons data.
import torch
from sklearn.datasets import make_moons
from torch import nn

torch.manual_seed(0)
X, y = make_moons(600, noise=0.1, random_state=0)
X = torch.tensor(X, dtype=torch.float32)
y = torch.from_numpy(y).float().unsqueeze(1)  # float targets
model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1))
loss_fn = nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(300):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()
print(loss.item())
