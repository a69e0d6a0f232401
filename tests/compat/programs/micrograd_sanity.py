"""The kind of torch check micrograd's tests make: a small expression graph in float64, values and
gradients printed (order-independent: every op is on scalars)."""
import torch

x = torch.Tensor([-4.0]).double()
x.requires_grad = True
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
xpt, ypt = x, y
print(ypt.data.item(), xpt.grad.item())

a = torch.Tensor([-4.0]).double()
b = torch.Tensor([2.0]).double()
a.requires_grad = True
b.requires_grad = True
c = a + b
d = a * b + b ** 3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e ** 2
g = f / 2.0
g = g + 10.0 / f
g.backward()
print(f"{g.data.item():.6f}", f"{a.grad.item():.6f}", f"{b.grad.item():.6f}")

t = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
u = (t.tanh() * t.exp() + t.sigmoid() / (1 + t ** 2)).sum()
u.backward()
print(f"{u.item():.10f}", [f"{v:.10f}" for v in t.grad.tolist()])
