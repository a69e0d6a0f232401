# blind: expect none
# Source: Karpathy's list of common mistakes ("you passed softmaxed outputs to a loss that expects raw
# logits") and openillumi.com "PyTorch CrossEntropy logits vs NLLLoss" (a model ending in nn.Softmax
# fed to nn.CrossEntropyLoss). Digits classifier; training crawls.
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 10)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        return self.fc2(x)  # raw logits: CrossEntropyLoss applies log-softmax


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for epoch in range(300):
    perm = torch.randperm(len(X))[:128]
    optimizer.zero_grad()
    loss = criterion(net(X[perm]), y[perm])
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
