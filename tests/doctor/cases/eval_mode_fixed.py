# doctor: expect none
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(600, 6)
y = (X[:, 0] - X[:, 1] > 0).float().unsqueeze(1)
Xtr, ytr, Xte, yte = X[:500], y[:500], X[500:], y[500:]
model = nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 1))
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(100):
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(Xtr), ytr)
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = ((model(Xte) > 0).float() == yte).float().mean()
    if epoch % 20 == 0:
        print(f"epoch {epoch}: test accuracy {accuracy:.2%}")
