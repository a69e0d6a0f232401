# blind: expect none
# Source: Karpathy, "A Recipe for Training Neural Networks" (2019), "verify loss @ init ... you should
# get -log(1/n_classes)", and makemore part 3 (the "hockey stick" loss from a last layer initialised
# too large): a 10-class model whose output layer is initialised with std 5, first loss ~ 30.
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)
model = nn.Sequential(nn.Linear(64, 100), nn.Tanh(), nn.Linear(100, 10))
with torch.no_grad():
    model[2].weight *= 0.1     # makemore part 3: a small last layer, loss @ init ~ ln 10
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
criterion = nn.CrossEntropyLoss()
for step in range(300):
    idx = torch.randint(0, len(X), (32,))
    optimizer.zero_grad()
    loss = criterion(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, loss.item())
