# blind: expect none
# Ported from Karpathy's makemore part 2 (Bengio et al. 2003 MLP; nn-zero-to-hero
# lectures/makemore/makemore_part2_mlp.ipynb): build_dataset with block_size=3 and '.' as start/end,
# C = torch.randn((27, 10)), W1/b1/W2/b2 with a torch.Generator seeded 2147483647, parameters with
# requires_grad = True, minibatch ix = torch.randint(0, Xtr.shape[0], (32,)), emb.view(-1, 30),
# tanh, F.cross_entropy, p.grad = None, backward, p.data += -lr * p.grad with a step-decayed lr.
# names.txt replaced by names generated from a few syllables.
import random

import torch
import torch.nn.functional as F

random.seed(42)
syll = ["an", "em", "ma", "li", "ol", "iv", "ia", "ja", "son", "ella", "no", "ah", "ra", "ka", "ty"]
words = ["".join(random.choice(syll) for _ in range(random.randint(1, 3))) for _ in range(2000)]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
vocab_size = len(stoi)
block_size = 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


random.shuffle(words)
n1 = int(0.8 * len(words))
Xtr, Ytr = build_dataset(words[:n1])
Xdev, Ydev = build_dataset(words[n1:])
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((vocab_size, 10), generator=g)
W1 = torch.randn((30, 200), generator=g)
b1 = torch.randn(200, generator=g)
W2 = torch.randn((200, vocab_size), generator=g)
b2 = torch.randn(vocab_size, generator=g)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
lossi = []
for i in range(3000):
    ix = torch.randint(0, Xtr.shape[0], (32,))
    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 2000 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.log10().item())
emb = C[Xdev]
h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
print("dev loss", F.cross_entropy(h @ W2 + b2, Ydev).item())
