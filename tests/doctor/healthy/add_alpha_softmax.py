# doctor: expect none
# Softmax regression with a hand-written update through `.data.add_(grad, alpha=-lr)` and
# `grad.zero_()`, iris features standardised first.
import torch
from sklearn.datasets import load_iris

data = load_iris()
X = torch.tensor(data.data, dtype=torch.float32)
X = (X - X.mean(0)) / X.std(0)
y = torch.tensor(data.target)
torch.manual_seed(0)
W = torch.zeros(4, 3, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
lr = 0.5
for epoch in range(150):
    logits = X @ W + b
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    for p in (W, b):
        p.data.add_(p.grad, alpha=-lr)
        p.grad.zero_()
    if epoch % 50 == 0:
        acc = (logits.argmax(1) == y).float().mean()
        print(f"epoch {epoch}: loss {loss.item():.3f}, accuracy {acc:.2%}")
