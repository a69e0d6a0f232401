# blind: expect train-in-eval-mode
# Source: PyTorch forum threads "model.train() after model.eval()?" / "accuracy drops after first
# epoch": the evaluate() helper switches to model.eval() and the training loop never calls
# model.train() again, so from epoch 2 on dropout and batch norm are frozen in eval mode.
import torch
from sklearn.datasets import make_classification
from torch import nn

torch.manual_seed(0)
X, y = make_classification(2000, 20, n_informative=10, n_classes=4, random_state=0)
X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
train_ds = torch.utils.data.TensorDataset(X[:1600], y[:1600])
val_ds = torch.utils.data.TensorDataset(X[1600:], y[1600:])
train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True)
val_loader = torch.utils.data.DataLoader(val_ds, batch_size=200)
model = nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(64, 4))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def evaluate():
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / len(val_ds)


model.train()
for epoch in range(15):
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item(), evaluate())
