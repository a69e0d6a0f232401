"""A character bigram model in the style of the makemore lecture: counts, probabilities, the
negative log-likelihood, then the same model as a one-layer network trained by gradient descent;
sampling with a Generator (only what does not depend on the random stream is printed)."""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper",
         "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila"]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)
print(V, itos[1], itos[V - 1])

N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print(N[0], N.sum())

P = (N + 1).float()
P /= P.sum(1, keepdims=True)
print(P[0].sum().item() > 0.999, P.shape)

log_likelihood = 0.0
n = 0
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
        n += 1
nll = -log_likelihood
print(f"{nll / n:.4f}", n)

xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
print("number of examples: ", num)

W = (torch.cos(torch.arange(V * V, dtype=torch.float32)) * 0.5).view(V, V).requires_grad_()
for k in range(50):
    xenc = F.one_hot(xs, num_classes=V).float()
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
    if k % 10 == 0:
        print(k, f"{loss.item():.4f}")
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad

print(xenc.shape, xenc.dtype, probs.shape)

g = torch.Generator().manual_seed(2147483647)
out = []
for i in range(5):
    ix = 0
    name = []
    while True:
        p = P[ix]
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        name.append(itos[ix])
        if ix == 0 or len(name) > 30:
            break
    out.append("".join(name))
print(len(out), all(s.endswith(".") or len(s) > 30 for s in out), all(set(s) <= set(stoi) for s in out))
certain = torch.tensor([0.0, 0.0, 1.0, 0.0])
print(torch.multinomial(certain, 4, replacement=True, generator=g))
