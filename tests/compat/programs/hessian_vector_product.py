"""Second derivatives with torch.autograd.grad twice: a Hessian-vector product (the gradient of
⟨∇f, v⟩), the full Hessian of a small function row by row, and the curvature of a tiny MLP's
loss along its gradient, as in Newton-type methods and sharpness measures."""
import torch
from torch import nn


def f(x):
    return (x[0] ** 2 * x[1] + torch.sin(x[1]) * torch.exp(x[2]) + (x ** 4).sum() / 12).sum()


x = torch.tensor([0.5, -1.0, 0.25], dtype=torch.float64, requires_grad=True)
v = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)
(g,) = torch.autograd.grad(f(x), x, create_graph=True)
print("gradient", [round(t, 6) for t in g.tolist()], g.grad_fn is not None)
(hv,) = torch.autograd.grad((g * v).sum(), x, retain_graph=True)
print("Hv", [round(t, 6) for t in hv.tolist()])
rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(3)]
H = torch.stack(rows)
print("Hessian")
print(H.round(decimals=6))
print("symmetric:", torch.allclose(H, H.T), " H @ v == Hv:", torch.allclose(H @ v, hv))

model = nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 1)).double()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float64) * 1.3 + i).reshape(p.shape) * 0.7)
X = torch.stack([torch.linspace(-1, 1, 10), torch.linspace(1, -0.5, 10) ** 2], dim=1).double()
y = torch.sin(3 * X[:, :1])
loss = nn.functional.mse_loss(model(X), y)
params = list(model.parameters())
grads = torch.autograd.grad(loss, params, create_graph=True)
direction = [gr.detach() for gr in grads]
dot = sum((gr * d).sum() for gr, d in zip(grads, direction))
hvp = torch.autograd.grad(dot, params)
curvature = sum((h * d).sum() for h, d in zip(hvp, direction)) / sum((d * d).sum() for d in direction)
print(f"loss {loss.item():.6f}  |grad| {torch.sqrt(sum((d * d).sum() for d in direction)).item():.6f}  "
      f"curvature along the gradient {curvature.item():.6f}")
try:
    torch.autograd.grad(loss, params)
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])
loss = nn.functional.mse_loss(model(X), y)
print("allow_unused:", torch.autograd.grad(loss, [params[0], torch.zeros(1, requires_grad=True)],
                                           allow_unused=True)[1])
