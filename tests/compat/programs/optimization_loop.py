"""PyTorch's "Optimizing Model Parameters" tutorial shape: hyperparameters, train_loop/test_loop,
Adam and an LR scheduler, on deterministic data with weights copied in."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

X = torch.stack([torch.linspace(-2, 2, 60), torch.cos(torch.linspace(0, 6, 60))], dim=1).double()
y = ((X[:, 0] * X[:, 1]) > 0).long()
train_dataloader = DataLoader(TensorDataset(X[:48], y[:48]), batch_size=16)
test_dataloader = DataLoader(TensorDataset(X[48:], y[48:]), batch_size=16)

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).double()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float64) * 1.7 + i).reshape(p.shape) * 0.8)

learning_rate = 5e-2
batch_size = 16
epochs = 4
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7.5f}  [{current:>3d}/{size:>3d}]")


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8.5f} \n")


for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loop(test_dataloader, model, loss_fn)
    scheduler.step()
    print("lr", scheduler.get_last_lr())
print("Done!")
