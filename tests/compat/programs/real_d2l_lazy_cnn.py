"""d2l's CNN chapters as d2l writes them (d2l-ai/d2l-en, chapter_convolutional-neural-networks/lenet.md
and chapter_convolutional-modern/resnet.md, PyTorch tab): every layer lazy (``nn.LazyConv2d``,
``nn.LazyBatchNorm2d``, ``nn.LazyLinear``), ``layer_summary`` printing each layer's output shape,
``apply_init`` (a dry forward to materialize, then ``net.apply(init_cnn)`` with Xavier), and the
``Residual`` block with ``if self.conv3:`` and ``Y += X``.

Shrunk: ResNet's channels 64→4 and 2 stages; the Xavier draws are replaced by weights from a formula
after ``apply_init`` (the RNG differs between engines), and a few SGD steps on formula data print
their losses.  d2l's ``Classifier``/``Trainer`` plumbing is left out."""
import math

import torch
from torch import nn
from torch.nn import functional as F


def init_cnn(module):  # @save
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class LeNet(nn.Module):  # @save
    """The LeNet-5 model."""
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

    def forward(self, X):
        return self.net(X)

    def apply_init(self, inputs, init=None):
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)

    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)


class Residual(nn.Module):  # @save
    """The Residual block of ResNet models."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class ResNet(nn.Module):
    def b1(self):
        return nn.Sequential(
            nn.LazyConv2d(4, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(self.b1())
        for i, b in enumerate(arch):
            self.net.add_module(f'b{i+2}', self.block(*b, first_block=(i == 0)))
        self.net.add_module('last', nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
            nn.LazyLinear(num_classes)))

    def forward(self, X):
        return self.net(X)

    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)


def from_formula(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            n = p.numel()
            p.copy_(torch.sin(torch.arange(n, dtype=torch.float32) * 0.7 + i).reshape(p.shape)
                    / math.sqrt(max(1, n // p.shape[0])))
    for m in model.modules():  # layer_summary's random batch moved them (RNG-dependent)
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()


def train(model, X, y, steps=3):
    optimizer = torch.optim.SGD(model.parameters(), lr=model.lr if hasattr(model, "lr") else 0.1)
    for step in range(steps):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.5f}")


model = LeNet()
print(model)
model.layer_summary((1, 1, 28, 28))
model.apply_init([torch.zeros(1, 1, 28, 28)], init_cnn)
print(model.net[0])
print("xavier bound respected:", bool(model.net[0].weight.abs().max() <= math.sqrt(6 / (25 + 150))))
from_formula(model)
X = torch.cos(torch.arange(4 * 28 * 28, dtype=torch.float32) * 0.01).reshape(4, 1, 28, 28)
y = torch.tensor([0, 3, 7, 9])
train(model, X, y)

resnet = ResNet(((1, 4), (1, 8)))
resnet.layer_summary((1, 1, 32, 32))
print(resnet.net.b3)
print(sorted(k for k in resnet.state_dict() if "b3.0.bn1" in k))
from_formula(resnet)
X = torch.cos(torch.arange(4 * 32 * 32, dtype=torch.float32) * 0.013).reshape(4, 1, 32, 32)
train(resnet, X, y)
print("running mean of b3's first bn:", resnet.net.b3[0].bn1.running_mean)
resnet.eval()
print("eval logits:", resnet(X[:2]).detach())
