# doctor: expect param-not-in-optimizer
# glassnet (import glassnet as torch): the same program on glassnet's engine.
# Bug: a CNN's classifier is replaced for 3 classes after the optimizer was built from the old
# model.parameters(): the new layer's weights get gradients but no optimizer holds them.
import glassnet as torch
import glassnet.nn as nn


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
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
model.fc = nn.Linear(8 * 4 * 4, 3)
for step in range(100):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
