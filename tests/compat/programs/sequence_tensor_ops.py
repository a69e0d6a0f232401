"""Tensor ops a sequence model uses, as a small program would: attention scores with einsum and
bmm, a causal mask, key/value heads shared by repeat_interleave, roll/flip for shifted targets
and reversed sequences, scatter_add for a histogram of tokens, index_select of embedding rows,
and view after transpose (needing contiguous).  Values come from formulas, not the random stream."""
import torch
import torch.nn.functional as F

B, T, H, KV, D, V = 2, 5, 4, 2, 3, 7
tokens = (torch.arange(B * T) * 3 % V).view(B, T)
print(tokens.tolist())

emb = (torch.sin(torch.arange(V * H * D, dtype=torch.float64) * 0.3) * 0.5).view(V, H * D).requires_grad_()
x = emb.index_select(0, tokens.view(-1)).view(B, T, H * D)
q = x.view(B, T, H, D).transpose(1, 2)                          # (B, H, T, D)
k = (x.view(B, T, H, D)[:, :, :KV] * 0.7).transpose(1, 2)      # (B, KV, T, D): fewer K/V heads
v = (x.view(B, T, H, D)[:, :, KV:] + 0.1).transpose(1, 2)
k = k.repeat_interleave(H // KV, dim=1)                         # shared by H // KV query heads
v = v.repeat_interleave(H // KV, dim=1)
print(q.shape, k.shape, q.is_contiguous(), q.contiguous().is_contiguous())

scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / D ** 0.5
mask = torch.tril(torch.ones(T, T)) == 0
scores = scores.masked_fill(mask, float("-inf"))
att = F.softmax(scores, dim=-1)
out = torch.einsum("bhqk,bhkd->bhqd", att, v)
same = torch.bmm(att.reshape(B * H, T, T), v.reshape(B * H, T, D)).view(B, H, T, D)
print("einsum == bmm:", torch.allclose(out, same))
try:
    out.transpose(1, 2).view(B, T, H * D)
except RuntimeError as err:
    print("view after transpose:", type(err).__name__, str(err)[:40])
y = out.transpose(1, 2).contiguous().view(B, T, H * D)
print(y.shape, f"{y.sum().item():.6f}", [round(r, 4) for r in att[0, 0, -1].tolist()])

targets = tokens.roll(-1, dims=1)
print(targets.tolist(), tokens.flip(1)[0].tolist(), tokens.fliplr()[1].tolist())
logits = torch.einsum("btc,vc->btv", y, emb)
loss = F.cross_entropy(logits.view(B * T, V), targets.view(-1))
loss.backward()
print(f"{loss.item():.6f}", emb.grad.shape, f"{emb.grad.abs().sum().item():.6f}")

counts = torch.zeros(V).scatter_add(0, tokens.view(-1), torch.ones(B * T))
print(counts.tolist(), torch.histc(tokens.float(), bins=V, min=0, max=V - 1).tolist())
hist, edges = torch.histogram(tokens.double().view(-1), bins=3)
print(hist.tolist(), [round(e, 4) for e in edges.tolist()])
first = torch.full((B, V), -1).scatter(1, tokens[:, :1], 1)
print(first.tolist())
print(torch.baddbmm(torch.ones(T, T, dtype=torch.float64), q[0], k[0].transpose(1, 2), beta=0.5, alpha=0.1).sum().item() > 0)
