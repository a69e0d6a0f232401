"""PyTorch's "Training a Classifier" (CIFAR10) network and loop, on random-looking images made
from a formula (no download) and weights set from a formula."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
print(net)
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.37 * i + 0.11)).reshape(p.shape) * 0.2)
print(sum(p.numel() for p in net.parameters()), "parameters")

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

batches = []
for b in range(4):
    k = torch.arange(4 * 3 * 32 * 32, dtype=torch.float32).reshape(4, 3, 32, 32)
    images = torch.sin(k * 0.0137 * (b + 1)) * torch.cos(k * 0.0021)
    labels = (torch.arange(4) * 3 + b) % 10
    batches.append((images, labels))

for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(batches):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"[{epoch + 1}] loss: {running_loss / len(batches):.4f}")

with torch.no_grad():
    outputs = net(batches[0][0])
    print(outputs.shape, f"{outputs.abs().sum().item():.3f}")
print(f"conv1 grad norm {net.conv1.weight.grad.norm().item():.4f}")
