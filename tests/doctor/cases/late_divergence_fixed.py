# doctor: expect none
# doctor: args --steps all
# Fixed: the warm-up capped at 1, min(1.0, step / warmup): the learning rate stays at 0.01.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(256, 6)
y = X @ torch.randn(6, 1) + 0.1 * torch.randn(256, 1)
model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
warmup = 20
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / warmup))
for step in range(1000):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 100 == 0:
        print(step, loss.item())
