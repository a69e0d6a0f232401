"""A ResNet basic block (3x3 convs without bias, BatchNorm2d, a 1x1 strided shortcut) in a tiny
network, trained a few steps; gradient norms of the shortcut and the main path."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.block = BasicBlock(8, 16, stride=2)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.block(F.relu(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.fc(x.view(x.size(0), -1))


model = Tiny()
print(model)
with torch.no_grad():
    for i, (name, p) in enumerate(model.named_parameters()):
        if p.dim() > 1:
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.5 + 0.2 * i)).reshape(p.shape) * 0.25)
        elif name == "fc.bias":
            p.fill_(0.01)  # (batch norm's weight and bias keep their 1 and 0)
k = torch.arange(4 * 3 * 8 * 8, dtype=torch.float32).reshape(4, 3, 8, 8)
x, y = torch.cos(k * 0.017), torch.tensor([0, 1, 2, 3])
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
for step in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}", f"{model.block.shortcut[0].weight.grad.norm().item():.4f}",
          f"{model.block.conv1.weight.grad.norm().item():.4f}")
print(len(model.state_dict()), "entries;", sum(1 for k in model.state_dict() if "running" in k), "running stats")
