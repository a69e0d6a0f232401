"""The makemore MLP (Bengio et al. 2003) in the lecture's style: an embedding table C indexed
by a batch of contexts (C[X]), tanh hidden layer, F.cross_entropy, full-batch gradient descent.
Parameters come from deterministic formulas so torch and glassnet start from the same point."""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper",
         "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila"]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
V = len(stoi)
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
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    print(X.shape, Y.shape)
    return X, Y


Xtr, Ytr = build_dataset(words[:14])
Xdev, Ydev = build_dataset(words[14:])


def det(*shape, scale=1.0, phase=0.0):
    n = 1
    for s in shape:
        n *= s
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.7 + phase) * scale).view(*shape)


C = det(V, 2, phase=0.1)
W1 = det(6, 50, scale=0.4, phase=0.2)
b1 = det(50, scale=0.1, phase=0.3)
W2 = det(50, V, scale=0.2, phase=0.4)
b2 = det(V, scale=0.0)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

emb = C[Xtr]
print(emb.shape, emb.view(-1, 6).shape, torch.cat(torch.unbind(emb, 1), 1).shape)

for i in range(200):
    emb = C[Xtr]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.5 if i < 150 else 0.05
    for p in parameters:
        p.data += -lr * p.grad
    if i % 40 == 0:
        print(i, f"{loss.item():.5f}")

with torch.no_grad():
    emb = C[Xdev]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    print("dev", f"{F.cross_entropy(logits, Ydev).item():.4f}")
    counts = logits.exp()
    prob = counts / counts.sum(1, keepdims=True)
    manual = -prob[torch.arange(Ydev.shape[0]), Ydev].log().mean()
    print("same as cross_entropy:", abs(manual.item() - F.cross_entropy(logits, Ydev).item()) < 1e-9)
