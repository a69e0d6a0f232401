# doctor: expect none
# makemore part 2 (Bengio et al.'s MLP): an embedding table C, a tanh hidden layer, minibatches
# of 32, F.cross_entropy, `p.grad = None` and `p.data += -lr * p.grad`, lr decayed by hand.
import random

import torch
import torch.nn.functional as F

random.seed(42)
letters = "abcdefghijklmnopqrstuvwxyz"
words = ["".join(random.choice(letters[:8] if i % 2 else letters[8:16])
                 for _ in range(random.randint(3, 7))) for i in range(400)]
stoi = {s: i + 1 for i, s in enumerate(letters)}
stoi["."] = 0
block_size = 3
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + ".":
        X.append(context)
        Y.append(stoi[ch])
        context = context[1:] + [stoi[ch]]
X, Y = torch.tensor(X), torch.tensor(Y)
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 10), generator=g)
W1 = torch.randn((30, 100), generator=g) * 0.2
b1 = torch.randn(100, generator=g) * 0.01
W2 = torch.randn((100, 27), generator=g) * 0.01
b2 = torch.randn(27, generator=g) * 0
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
for i in range(600):
    ix = torch.randint(0, X.shape[0], (32,), generator=g)
    emb = C[X[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 400 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    if i % 100 == 0:
        print(i, loss.item())
