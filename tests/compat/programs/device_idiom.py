"""The device idiom every tutorial opens with, and what a CPU-only build answers."""
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
print(f"Using {device} device")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, repr(device), device.type)
print(torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_available(),
      torch.backends.mps.is_built())
print(repr(torch.device("cuda:1")), torch.device("cuda", 0), torch.device("cpu") == torch.device("cpu"))
torch.backends.cudnn.deterministic = True
torch.cuda.manual_seed_all(0)

x = torch.ones(2, 2, device=device)
print(x.device, x.to(device).device, x.is_cuda, x.cpu().device)
model = nn.Linear(2, 1).to(device)
print(next(model.parameters()).device)
for attempt in ("tensor.to", "tensor.cuda", "module.to", "factory"):
    try:
        if attempt == "tensor.to":
            x.to("cuda")
        elif attempt == "tensor.cuda":
            x.cuda()
        elif attempt == "module.to":
            model.to("cuda")
        else:
            torch.zeros(1, device="cuda")
    except AssertionError as e:
        print(attempt, "AssertionError", str(e).split(" (")[0])
try:
    x.to("mps")
except RuntimeError as e:
    print("mps RuntimeError", str(e).split(" (")[0])
try:
    torch.device("gpu")
except RuntimeError:
    print("bad device name: RuntimeError")
