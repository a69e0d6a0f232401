"""makemore part 4 ("Becoming a backprop ninja"), shrunk: the MLP with batch norm by hand, a
forward of many small steps each keeping its gradient (retain_grad), loss.backward(), then the
gradient of every intermediate written by hand and compared with autograd's by ``cmp``.
Parameters come from formulas, not the random stream.  ``cmp`` prints whether the two agree
within torch.allclose's tolerance and whether the largest difference is below 1e-6 (the exact
bits depend on each engine's summation order, so "exact" is computed but not printed)."""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper",
         "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila"]
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
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


Xtr, Ytr = build_dataset(words)
print(Xtr.shape, Ytr.shape)


def cmp(s, dt, t):
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f"{s:15s} | approximate: {str(app):5s} | maxdiff < 1e-6: {maxdiff < 1e-6}")
    return ex


def det(*shape, scale=1.0, phase=0.0):
    n = 1
    for s in shape:
        n *= s
    return (torch.sin(torch.arange(n, dtype=torch.float32) * 0.37 + phase) * scale).view(*shape)


n_embd = 10
n_hidden = 64
C = det(vocab_size, n_embd, phase=0.1)
W1 = det(n_embd * block_size, n_hidden, scale=(5 / 3) / ((n_embd * block_size) ** 0.5), phase=0.2)
b1 = det(n_hidden, scale=0.1, phase=0.3)
W2 = det(n_hidden, vocab_size, scale=0.1, phase=0.4)
b2 = det(vocab_size, scale=0.1, phase=0.5)
bngain = det(1, n_hidden, scale=0.1, phase=0.6) + 1.0
bnbias = det(1, n_hidden, scale=0.1, phase=0.7)
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True



def backward_to_embedding(dhprebn, embcat, emb, Xb):
    """The last lines of the manual backward: through embcat @ W1 + b1, the view, and C[Xb]
    (the lecture's loop over the batch, adding each row of demb into dC)."""
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return dembcat, dW1, db1, demb, dC


batch_size = 32
n = batch_size
Xb, Yb = Xtr[:n], Ytr[:n]

# forward pass, "chunkated" into smaller steps that are possible to backward one at a time
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff**2
bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum**-1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()

for p in parameters:
    p.grad = None
for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits,
          h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]:
    t.retain_grad()
loss.backward()
print("loss", f"{loss.item():.4f}", loss.grad_fn is not None, logits.grad.shape, emb.grad.dtype)

# Exercise 1: backprop through the whole thing manually
dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0 / n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h**2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
dbndiff += (2 * bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0)
dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
dembcat, dW1, db1, demb, dC = backward_to_embedding(dhprebn, embcat, emb, Xb)

exact = [
    cmp("logprobs", dlogprobs, logprobs),
    cmp("probs", dprobs, probs),
    cmp("counts_sum_inv", dcounts_sum_inv, counts_sum_inv),
    cmp("counts_sum", dcounts_sum, counts_sum),
    cmp("counts", dcounts, counts),
    cmp("norm_logits", dnorm_logits, norm_logits),
    cmp("logit_maxes", dlogit_maxes, logit_maxes),
    cmp("logits", dlogits, logits),
    cmp("h", dh, h),
    cmp("W2", dW2, W2),
    cmp("b2", db2, b2),
    cmp("hpreact", dhpreact, hpreact),
    cmp("bngain", dbngain, bngain),
    cmp("bnbias", dbnbias, bnbias),
    cmp("bnraw", dbnraw, bnraw),
    cmp("bnvar_inv", dbnvar_inv, bnvar_inv),
    cmp("bnvar", dbnvar, bnvar),
    cmp("bndiff2", dbndiff2, bndiff2),
    cmp("bndiff", dbndiff, bndiff),
    cmp("bnmeani", dbnmeani, bnmeani),
    cmp("hprebn", dhprebn, hprebn),
    cmp("embcat", dembcat, embcat),
    cmp("W1", dW1, W1),
    cmp("b1", db1, b1),
    cmp("emb", demb, emb),
    cmp("C", dC, C),
]
print("exact flags are bools:", all(isinstance(e, bool) for e in exact), len(exact))

# the embedding gradient again, as a product with one-hot rows
dC2 = F.one_hot(Xb.view(-1), num_classes=vocab_size).float().T @ demb.view(-1, n_embd)
cmp("C (one_hot)", dC2, C)

# Exercise 2: cross-entropy in one go
loss_fast = F.cross_entropy(logits, Yb)
print(f"{loss_fast.item():.4f}", "diff small:", abs((loss_fast - loss).item()) < 1e-5)
dlogits = F.softmax(logits, 1)
dlogits[range(n), Yb] -= 1
dlogits /= n
cmp("logits", dlogits, logits)

# Exercise 3: batch norm in one go
hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
    hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
print("max diff small:", (hpreact_fast - hpreact).abs().max().item() < 1e-5)
print("with correction=1:", torch.allclose(hprebn.var(0, keepdim=True, correction=1), bnvar))
dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
cmp("hprebn", dhprebn, hprebn)

# Exercise 4: train with the manual backward, checked against autograd on the first steps
lr = 0.1
with torch.no_grad():
    bnmean_running = torch.zeros((1, n_hidden))
for i in range(30):
    Xb, Yb = Xtr[i % 4 * 16:(i % 4 + 1) * 16], Ytr[i % 4 * 16:(i % 4 + 1) * 16]
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h**2) * dh
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnbias = dhpreact.sum(0, keepdim=True)
        dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
        dembcat, dW1, db1, demb, dC = backward_to_embedding(dhprebn, embcat, emb, Xb)
        grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
        if i == 0:
            print("manual == autograd:", all(torch.allclose(g, p.grad, atol=1e-6) for p, g in zip(parameters, grads)))
        for p, grad in zip(parameters, grads):
            p.data += -lr * grad
        bnmean_running = 0.9 * bnmean_running + 0.1 * bnmean
    if i % 10 == 0:
        print(i, f"{loss.item():.3f}")
print(bnmean_running.shape, f"{bnmean_running.abs().mean().item():.2f}")
