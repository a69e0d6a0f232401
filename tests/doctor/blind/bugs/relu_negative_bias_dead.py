# blind: expect dead-relu
# Source: Karpathy, CS231n notes and "Yes you should understand backprop" (dying ReLUs: "a large
# gradient ... a neuron that never activates again"), and the forum's "all ReLU outputs are zero"
# threads: biases initialised to a large negative constant (copied from a paper's "bias = -1" for
# gates) leave most hidden ReLUs off for every input.
import torch
from sklearn.datasets import make_moons
from torch import nn

torch.manual_seed(0)
X, y = make_moons(1000, noise=0.15, random_state=0)
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y)
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.bias, -3.0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
criterion = nn.CrossEntropyLoss()
for step in range(300):
    idx = torch.randint(0, 1000, (64,))
    optimizer.zero_grad()
    loss = criterion(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
print(loss.item())
