"""Saving and loading a general checkpoint, as in PyTorch's "Saving and loading a general
checkpoint" recipe: model and optimizer state dicts, epoch and loss in one dict."""
import torch
import torch.nn as nn
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def deterministic(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float64) + i).reshape(p.shape) * 0.4)


x = torch.linspace(-1, 1, 40, dtype=torch.float64).reshape(10, 4)
target = torch.arange(10) % 2
net = Net().double()
deterministic(net)
optimizer = optim.Adam(net.parameters(), lr=0.01, betas=(0.9, 0.99))
criterion = nn.CrossEntropyLoss()


def train(model, opt, steps):
    for _ in range(steps):
        loss = criterion(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss


loss = train(net, optimizer, 5)
EPOCH = 5
PATH = "model.pt"
torch.save({
    "epoch": EPOCH,
    "model_state_dict": net.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "loss": loss.item(),
    "note": "five Adam steps",
    "history": [1, 2.5, "three"],
}, PATH)

model = Net().double()
optimizer2 = optim.Adam(model.parameters(), lr=0.5)
checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
epoch = checkpoint["epoch"]
print(sorted(checkpoint))
print(epoch, type(epoch).__name__, f"{checkpoint['loss']:.6f}", checkpoint["note"], checkpoint["history"])
print(list(checkpoint["model_state_dict"]))
state = checkpoint["optimizer_state_dict"]
print(sorted(state["state"]), sorted(state["state"][0]), state["param_groups"][0]["lr"],
      state["param_groups"][0]["betas"], state["param_groups"][0]["params"])
print(optimizer2.param_groups[0]["lr"], optimizer2.param_groups[0]["betas"])
print(all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), model.state_dict().values())))

model.train()
after_a = train(net, optimizer, 3)
after_b = train(model, optimizer2, 3)
print(f"{after_a.item():.8f}", f"{after_b.item():.8f}")
model.eval()
