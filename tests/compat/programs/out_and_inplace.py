"""out= on torch functions, the selection and filling ops (nonzero, index_fill_, index_add_,
masked_scatter_), and in-place writes into tensors of the graph, with backward."""
import torch

a = torch.arange(6.0).reshape(2, 3)
b = torch.ones(3, 2)
c = torch.zeros(2, 2)
r = torch.matmul(a, b, out=c)
print(r is c, c)
print(torch.add(a, 1, out=torch.empty(0)), torch.mul(a, a, out=torch.empty(2, 3)))
print(torch.sum(a, 1, out=torch.empty(2)), torch.mean(a, dim=0, out=torch.empty(3)))
print(torch.cat([a, a], out=torch.empty(0)).shape, torch.stack([a, a], 2, out=torch.empty(0)).shape)
print(torch.clamp(a, 1, 4, out=torch.empty(2, 3)), torch.exp(torch.zeros(2), out=torch.empty(2)))
print(torch.arange(4, out=torch.empty(4, dtype=torch.long)), torch.zeros(2, out=torch.ones(2)))
d = torch.empty(0)
torch.randn(3, out=d)
print(d.shape, torch.add(torch.ones(2, dtype=torch.long), 1, out=torch.zeros(2)))
w = torch.ones(2, requires_grad=True)
for f in (lambda: torch.add(w, 1, out=torch.empty(2)), lambda: torch.add(a, 1.5, out=torch.zeros(2, 3, dtype=torch.long))):
    try:
        f()
    except RuntimeError as err:
        print("RuntimeError:", str(err)[:60])
with torch.no_grad():
    print(torch.mul(w, 3, out=torch.empty(2)))

# selection and filling
m = torch.tensor([[0, 1, 0], [2, 0, 3]])
print(torch.nonzero(m), m.nonzero(as_tuple=True), torch.argwhere(m > 1))
z = torch.zeros(3, 4)
z.index_fill_(1, torch.tensor([0, 3]), -1.0)
print(z, torch.ones(2, 3).index_fill(0, torch.tensor([1]), 7.0))
acc = torch.zeros(4)
acc.index_add_(0, torch.tensor([1, 3, 1]), torch.tensor([1.0, 2.0, 3.0]))
print(acc, torch.zeros(2, 3).index_add(1, torch.tensor([2, 2]), torch.ones(2, 2), alpha=0.5))
print(torch.zeros(2, 3).masked_scatter(torch.tensor([[True, False, True], [False, True, False]]), torch.arange(1.0, 7.0)))
torch._assert(m.sum() == 6, "m sums to 6")

# in-place writes into tensors of the graph, then backward
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
h = x * 3
h[h < 0] = 0
h[torch.tensor([0, 2])] -= 1
h.add_(1).mul_(2)
(h * h).sum().backward()
print(h, x.grad)
x.grad = None
h = x * 1
h.index_fill_(0, torch.tensor([1]), 5.0)
h.masked_fill_(h > 1.5, 0.0)
h.clamp_(-0.5, 0.8)
(h * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(h.detach(), x.grad)
x.grad = None
src = torch.tensor([10.0, 20.0], requires_grad=True)
h = x * 2
h.masked_scatter_(torch.tensor([True, False, True]), src)
h.relu_()
(h * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(h, x.grad, src.grad)
y = torch.sigmoid(x)
y.mul_(2)
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err)[:80])
