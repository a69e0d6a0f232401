"""Gradient clipping and learning-rate schedules: clip_grad_norm_ (its returned norms),
clip_grad_value_, and the lr sequences of OneCycleLR, CosineAnnealingWarmRestarts and a
warm-up SequentialLR, with a few training steps of a small regression MLP."""
import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.1 + i).reshape(p.shape))
X = torch.stack([torch.linspace(-2, 2, 32), torch.cos(torch.linspace(0, 5, 32)), torch.linspace(1, 0, 32)], 1)
y = (X[:, :1] * 3 - X[:, 1:2] * 2) ** 2

optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=12)
for step in range(12):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
    after = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    optimizer.step()
    scheduler.step()
    print(f"step {step:2d}  loss {loss.item():9.4f}  norm {norm.item():9.4f} -> {after.item():.4f}  "
          f"lr {scheduler.get_last_lr()[0]:.6f}  momentum {optimizer.param_groups[0]['momentum']:.4f}")

inf_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type="inf")
print("inf norm", round(inf_norm.item(), 4), "largest after", round(max(p.grad.abs().max().item() for p in model.parameters()), 4))
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
print("after clip_grad_value_:", max(p.grad.abs().max().item() for p in model.parameters()) <= 0.01)
vector = torch.nn.utils.parameters_to_vector(model.parameters())
print("parameters as one vector:", tuple(vector.shape), round(vector.norm().item(), 4))

adam = torch.optim.Adam([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.003}], lr=0.01)
restarts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(adam, T_0=3, T_mult=2, eta_min=1e-4)
lrs = []
for epoch in range(10):
    for i in range(2):
        adam.step()
        restarts.step(epoch + i / 2)
        lrs.append(restarts.get_last_lr())
print("warm restarts:", [[round(v, 6) for v in pair] for pair in lrs[::3]])

onecycle = torch.optim.lr_scheduler.OneCycleLR(adam, max_lr=[0.1, 0.02], epochs=2, steps_per_epoch=5,
                                                anneal_strategy="linear", three_phase=True)
seq = []
for _ in range(10):
    adam.step()
    onecycle.step()
    seq.append((round(onecycle.get_last_lr()[0], 6), round(adam.param_groups[0]["betas"][0], 4)))
print("one cycle (three phase, linear):", seq)
try:
    onecycle.step()
    onecycle.step()
except ValueError as err:
    print("ValueError:", err)

sgd = torch.optim.SGD(model.parameters(), lr=0.1)
warmup = torch.optim.lr_scheduler.LinearLR(sgd, start_factor=0.1, total_iters=4)
decay = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=8, eta_min=0.001)
sequential = torch.optim.lr_scheduler.SequentialLR(sgd, schedulers=[warmup, decay], milestones=[4])
lam = []
for _ in range(12):
    sgd.step()
    sequential.step()
    lam.append(round(sequential.get_last_lr()[0], 6))
print("warm-up then cosine:", lam)
state = sequential.state_dict()
print("state keys:", sorted(k for k in state if not k.startswith("_schedulers")), len(state["_schedulers"]))
lambda_sched = torch.optim.lr_scheduler.LambdaLR(sgd, lambda epoch: 1 / (1 + epoch))
mult = torch.optim.lr_scheduler.MultiplicativeLR(sgd, lambda epoch: 0.9)
for _ in range(3):
    sgd.step()
    lambda_sched.step()
    mult.step()
print("lambda then multiplicative:", [round(v, 6) for v in mult.get_last_lr()])
