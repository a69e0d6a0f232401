# doctor: expect none
# Fixed: the head is replaced first, then the optimizer is built from model.parameters().
import torch
import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Flatten())
        self.fc = nn.Linear(8 * 4 * 4, classes)

    def forward(self, x):
        return self.fc(self.features(x))


torch.manual_seed(0)
X = torch.randn(300, 1, 8, 8)
y = torch.randint(0, 3, (300,))
model = SmallCNN()
model.fc = nn.Linear(8 * 4 * 4, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(100):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
