# doctor: expect none
# A micrograd-style lecture loop on the two moons: an MLP of neurons, the SVM max-margin loss
# plus L2, and the update `p.data += -lr * p.grad` with a decaying learning rate.
import torch
from sklearn.datasets import make_moons

torch.manual_seed(1337)
X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y * 2 - 1, dtype=torch.float32)          # -1 or 1


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(2, 16)
        self.l2 = torch.nn.Linear(16, 16)
        self.l3 = torch.nn.Linear(16, 1)

    def forward(self, x):
        return self.l3(torch.relu(self.l2(torch.relu(self.l1(x))))).squeeze(1)


model = MLP()


def loss_and_accuracy():
    scores = model(X)
    data_loss = torch.relu(1 + -y * scores).mean()
    reg_loss = 1e-4 * sum((p * p).sum() for p in model.parameters())
    accuracy = ((y > 0) == (scores > 0)).float().mean()
    return data_loss + reg_loss, accuracy


for k in range(100):
    total_loss, acc = loss_and_accuracy()
    for p in model.parameters():
        p.grad = None
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data += -learning_rate * p.grad
    if k % 10 == 0:
        print(f"step {k} loss {total_loss.item():.4f}, accuracy {acc.item() * 100:.1f}%")
