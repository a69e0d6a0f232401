# doctor: expect none
# d2l's way (chapter_convolutional-modern): lazy layers (nn.LazyConv2d, nn.LazyBatchNorm2d,
# nn.LazyLinear), a layer_summary that calls each layer at the top level, then two models trained
# one after the other with an optimizer each (a LeNet, then a ResNet whose convolutions keep their
# bias before a batch norm: that bias's gradient is 0 up to rounding, and it never moves).
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset
from sklearn.datasets import load_digits

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
y = torch.tensor(digits.target)
train_iter = DataLoader(TensorDataset(X[:1024], y[:1024]), batch_size=64, shuffle=True)


class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyConv2d(6, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                                 nn.LazyConv2d(16, kernel_size=3), nn.ReLU(), nn.Flatten(),
                                 nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(10))

    def forward(self, X):
        return self.net(X)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyConv2d(8, kernel_size=3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(),
                                 Residual(8), Residual(16, use_1x1conv=True, strides=2),
                                 nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(10))

    def forward(self, X):
        return self.net(X)


def layer_summary(model, X_shape):
    X = torch.randn(*X_shape)
    for layer in model.net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\t', X.shape)


for make in (LeNet, ResNet):
    net = make()
    layer_summary(net, (1, 1, 8, 8))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)  # d2l.Trainer: plain SGD
    for epoch in range(3):
        net.train()
        for xb, yb in train_iter:
            loss = F.cross_entropy(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"{make.__name__} epoch {epoch}: loss {loss.item():.3f}")
