"""The imports at the top of scripts that train on a GPU, run on the CPU: torch.onnx,
torch.nn.parallel, torch.distributed, and mixed precision disabled (autocast, GradScaler)."""
import warnings

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.onnx  # noqa: F401
from torch.nn.parallel import DataParallel, DistributedDataParallel  # noqa: F401

warnings.simplefilter("ignore")

use_amp = torch.cuda.is_available()
device = "cuda" if use_amp else "cpu"
print(device, dist.is_available() and dist.is_initialized(), torch.float16, torch.half, torch.bfloat16)
rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
print("rank", rank)

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (i + 1) / 3)
if torch.cuda.device_count() > 1:
    model = DataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler(device, enabled=use_amp)
X = torch.linspace(-1, 1, 24).reshape(8, 3)
y = X.sum(1, keepdim=True) ** 2
for step in range(30):
    opt.zero_grad()
    with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_amp):
        loss = nn.functional.mse_loss(model(X), y)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    if step % 10 == 0:
        print(step, f"{loss.item():.4f}", scaler.get_scale(), scaler.is_enabled())

old = torch.cuda.amp.GradScaler(enabled=False)
with torch.cuda.amp.autocast(enabled=False):
    out = model(X[:2])
print(old.scale(out.sum()) is not None, old.state_dict(), out.dtype)

# a CPU GradScaler that really scales: a step with an inf gradient is skipped and the scale backs off
w = nn.Parameter(torch.tensor([1.0, -2.0]))
sgd = torch.optim.SGD([w], lr=0.1)
cpu_scaler = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
for bad in (False, False, True, False):
    sgd.zero_grad()
    cpu_scaler.scale((w * w).sum() * (float("inf") if bad else 1.0)).backward()
    cpu_scaler.step(sgd)
    cpu_scaler.update()
    print(cpu_scaler.get_scale(), w.detach())
print(DataParallel(nn.Linear(2, 1)).state_dict().keys())
