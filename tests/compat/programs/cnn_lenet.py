"""d2l's LeNet (sigmoid activations, average pooling): the layer-by-layer output shapes, then a few
training steps with SGD on images made from a formula."""
import torch
from torch import nn

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))

X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape: \t', X.shape)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        with torch.no_grad():
            m.weight.copy_(torch.sin(torch.arange(m.weight.numel(), dtype=torch.float32)).reshape(m.weight.shape) * 0.4)
            m.bias.fill_(0.01)


net.apply(init_weights)
k = torch.arange(16 * 784, dtype=torch.float32).reshape(16, 1, 28, 28)
images, labels = torch.cos(k * 0.0091) ** 2, torch.arange(16) % 10
optimizer = torch.optim.SGD(net.parameters(), lr=0.3)
loss = nn.CrossEntropyLoss()
for epoch in range(3):
    optimizer.zero_grad()
    l = loss(net(images), labels)
    l.backward()
    optimizer.step()
    print(f"epoch {epoch + 1}, loss {l.item():.4f}")
print(net[0].weight.grad.shape, f"{net[0].weight.grad.abs().sum().item():.5f}")
