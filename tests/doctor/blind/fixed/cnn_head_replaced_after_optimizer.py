# blind: expect none
# Source: PyTorch forum "Parameters of new layer not updating after model.fc = nn.Linear(...)" (the
# optimizer was built from model.parameters() before the head was swapped for the new class count).
# A small CNN on 8x8 digits.
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
y = torch.tensor(digits.target)


class SmallCNN(nn.Module):
    def __init__(self, num_classes=2):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 2 * 2, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


model = SmallCNN()
model.fc = nn.Linear(32 * 2 * 2, 10)      # ten digit classes, not two
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # built after the swap
criterion = nn.CrossEntropyLoss()
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
for epoch in range(4):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
