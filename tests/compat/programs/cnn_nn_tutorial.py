"""The CNN section of PyTorch's "What is torch.nn really?": Mnist_CNN with F.avg_pool2d, then the
nn.Sequential version with a Lambda preprocess and AdaptiveAvgPool2d, trained a few steps."""
import torch
import torch.nn.functional as F
from torch import nn, optim

bs, lr = 8, 0.1
n = torch.arange(32 * 784, dtype=torch.float32).reshape(32, 784)
x_train = (torch.sin(n * 0.013) + 1) / 2
y_train = torch.arange(32) % 10


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


def set_weights(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.7 + i)).reshape(p.shape) * 0.3)


def fit(model, opt, epochs=2):
    for epoch in range(epochs):
        model.train()
        for i in range(0, 32, bs):
            xb, yb = x_train[i:i + bs], y_train[i:i + bs]
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        with torch.no_grad():
            print(epoch, f"{F.cross_entropy(model(x_train), y_train).item():.4f}")


model = Mnist_CNN()
set_weights(model)
fit(model, optim.SGD(model.parameters(), lr=lr, momentum=0.9))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 28, 28)


model = nn.Sequential(
    Lambda(preprocess),
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
set_weights(model)
fit(model, optim.SGD(model.parameters(), lr=lr, momentum=0.9))
print(model(x_train[:2]).shape)
