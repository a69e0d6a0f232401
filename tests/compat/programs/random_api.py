"""The random API, printing only what does not depend on the random stream: shapes, dtypes,
ranges, permutations, determinism under one seed, and distributions with a certain outcome."""
import torch

torch.manual_seed(42)
g = torch.Generator().manual_seed(1234)
print(type(g.initial_seed()).__name__, g.initial_seed())
a = torch.normal(0.0, 1.0, size=(3, 4), generator=g)
print(a.shape, a.dtype)
m = torch.normal(mean=torch.arange(1.0, 6.0), std=torch.zeros(5))
print(m)
s = torch.normal(torch.zeros(2, 2), 0.0)
print(s)
x = torch.ones(2, 3, dtype=torch.float64)
print(torch.rand_like(x).dtype, torch.randn_like(x).shape, torch.randint_like(x, 10).dtype)
r = torch.rand_like(x)
print(bool(((r >= 0) & (r < 1)).all()))
ri = torch.randint(3, 7, (100,), generator=g)
print(ri.dtype, int(ri.min()) >= 3, int(ri.max()) <= 6)
print(torch.randint(10, (2, 3)).shape)
perm = torch.randperm(10, generator=g)
print(perm.dtype, sorted(perm.tolist()) == list(range(10)), perm.shape)
print(torch.multinomial(torch.tensor([[0.0, 5.0, 0.0], [1.0, 0.0, 0.0]]), 1))
print(torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 1.0]), 4).sort().values)
print(torch.bernoulli(torch.tensor([0.0, 1.0, 1.0, 0.0])))

g1 = torch.Generator().manual_seed(7)
g2 = torch.Generator().manual_seed(7)
print(torch.equal(torch.randn(5, generator=g1), torch.randn(5, generator=g2)))
torch.manual_seed(3)
u = torch.rand(4)
torch.manual_seed(3)
print(torch.equal(u, torch.rand(4)))
w = torch.empty(3, 5)
torch.nn.init.uniform_(w, -0.1, 0.1)
print(bool((w.abs() <= 0.1).all()), w.shape)
d = torch.nn.Dropout(p=1.0)
print(d(torch.ones(3)))
print(torch.multinomial(torch.tensor([1.0, 0.0]), 2))
try:
    torch.multinomial(torch.tensor([1.0, 0.0]), 3)
except RuntimeError as e:
    print("RuntimeError")
try:
    torch.normal(torch.zeros(2), -1.0)
except RuntimeError as e:
    print("RuntimeError")
