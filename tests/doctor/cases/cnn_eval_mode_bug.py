# doctor: expect eval-mode
# Bug: a small CNN (Conv2d, BatchNorm2d, Dropout2d, MaxPool2d) is evaluated under no_grad() but
# still in training mode: batch norm uses (and overwrites) batch statistics, dropout stays on.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(400, 1, 8, 8)
y = (X[:, 0, :4].mean((1, 2)) > X[:, 0, 4:].mean((1, 2))).long()
Xtr, ytr, Xte, yte = X[:320], y[:320], X[320:], y[320:]
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Dropout2d(0.2), nn.Flatten(), nn.Linear(8 * 4 * 4, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(30):
    model.train()
    for i in range(0, 320, 64):
        optimizer.zero_grad()
        loss = criterion(model(Xtr[i:i + 64]), ytr[i:i + 64])
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(Xte).argmax(1) == yte).float().mean()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: test accuracy {accuracy:.2%}")
