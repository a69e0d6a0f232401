"""A small BatchNorm2d + Dropout2d net (Unflatten, BatchNorm2d, ReLU, Dropout2d, Flatten, Linear) with
weights set from a formula, trained for a few SGD steps in train mode, then evaluated: the running
statistics, num_batches_tracked, the losses and the eval outputs print the same under torch and
glassnet.  Which channels Dropout2d zeroes is random, so only its structure is printed."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_grad_enabled(True)
net = nn.Sequential(nn.Unflatten(1, (3, 2, 2)), nn.BatchNorm2d(3, momentum=None), nn.ReLU(),
                    nn.Dropout2d(0.5), nn.Flatten(), nn.Linear(12, 2)).double()
print(net)
with torch.no_grad():
    net[5].weight.copy_(torch.cos(torch.arange(24, dtype=torch.float64)).reshape(2, 12) / 3)
    net[5].bias.copy_(torch.tensor([0.1, -0.1], dtype=torch.float64))
x = torch.sin(torch.arange(96, dtype=torch.float64)).reshape(8, 12) * 2 + 1
y = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])

drop = nn.Dropout2d(0.5)
maps = drop(torch.ones(4, 6, 3, 3, dtype=torch.float64))
per_channel = maps.flatten(2)
print("whole channels:", bool(((per_channel == 0).all(2) | (per_channel == 2).all(2)).all()))
print("eval identity:", bool((drop.eval()(maps) == maps).all()))

net[3].p = 0.0                       # the training steps themselves must be deterministic
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(3):
    loss = F.cross_entropy(net(x + step), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.6f}", [f"{v:.5f}" for v in net[1].running_mean.tolist()],
          [f"{v:.5f}" for v in net[1].running_var.tolist()], int(net[1].num_batches_tracked))
print([f"{v:.5f}" for v in net[1].weight.tolist()], [f"{v:.5f}" for v in net[1].bias.grad.tolist()])
net.eval()
with torch.no_grad():
    out = net(x)
print([f"{v:.5f}" for v in out[:3].flatten().tolist()])
print(list(net.state_dict()))
print(net[1].num_batches_tracked.dtype, net[1].running_mean.dtype)
