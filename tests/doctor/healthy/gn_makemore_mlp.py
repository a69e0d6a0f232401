# doctor: expect none
# makemore's MLP on glassnet: parameters as plain tensors, `p.data += -lr * p.grad`.
import glassnet as torch
import glassnet.nn.functional as F

g = torch.Generator().manual_seed(2147483647)
X = torch.randint(0, 27, (500, 3), generator=g)
Y = (X[:, 0] + X[:, 2]) % 27
C = torch.randn((27, 10), generator=g)
W1 = torch.randn((30, 64), generator=g) * 0.2
b1 = torch.randn(64, generator=g) * 0.01
W2 = torch.randn((64, 27), generator=g) * 0.01
b2 = torch.zeros(27)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
for i in range(200):
    ix = torch.randint(0, X.shape[0], (32,), generator=g)
    emb = C[X[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    loss = F.cross_entropy(h @ W2 + b2, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -0.1 * p.grad
print(loss.item())
