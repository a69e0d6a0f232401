"""nn.MultiheadAttention with its weights set from a formula under torch.no_grad(): self-attention
and cross-attention, batch_first both ways, a causal bool mask, a key padding mask, a float mask,
per-head and averaged attention weights, unbatched input, then a backward and the gradients."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def formula(t, phase):
    n = t.numel()
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.37 + phase) * 0.4).view(t.shape)


def rounded(t, digits=4):
    return [round(v, digits) for v in t.detach().flatten().tolist()]


mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True).double()
print(mha)
print([(name, tuple(p.shape)) for name, p in mha.named_parameters()])
with torch.no_grad():
    for i, p in enumerate(mha.parameters()):
        p.copy_(formula(p, i))

x = (torch.cos(torch.arange(2 * 4 * 8, dtype=torch.float64) * 0.21) * 0.8).view(2, 4, 8).requires_grad_()
causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
padding = torch.tensor([[False, False, False, True], [False, False, False, False]])
out, weights = mha(x, x, x, attn_mask=causal, key_padding_mask=padding)
print(out.shape, weights.shape)
print(rounded(out[0, 1]))
print(rounded(weights[0]))
print(rounded(weights.sum(-1)))
out2, per_head = mha(x, x, x, attn_mask=causal, average_attn_weights=False)
print(per_head.shape, rounded(per_head[1, 1, 2]))
loss = (out ** 2).sum() + out2.sum()
loss.backward()
print(round(loss.item(), 4))
print(rounded(x.grad[1, 0]))
for name, p in mha.named_parameters():
    print(name, rounded(p.grad.sum(0) if p.dim() > 1 else p.grad, 3)[:6])

float_mask = torch.zeros(4, 4, dtype=torch.float64)
float_mask[:, 0] = -1.5
out3, none = mha(x, x, x, attn_mask=float_mask, need_weights=False)
print(none, rounded(out3[1, 3]))
F_out = F.scaled_dot_product_attention(x.view(2, 4, 2, 4).transpose(1, 2), x.view(2, 4, 2, 4).transpose(1, 2),
                                       x.view(2, 4, 2, 4).transpose(1, 2), is_causal=True)
print(F_out.shape, rounded(F_out[0, 1, 3]))

cross = nn.MultiheadAttention(6, 3, kdim=5, vdim=4).double()
print(sorted(cross.state_dict().keys()))
with torch.no_grad():
    for i, p in enumerate(cross.parameters()):
        p.copy_(formula(p, 0.5 * i))
q = torch.linspace(-1, 1, 3 * 2 * 6, dtype=torch.float64).view(3, 2, 6)
k = torch.linspace(1, -1, 5 * 2 * 5, dtype=torch.float64).view(5, 2, 5)
v = torch.linspace(-0.5, 0.5, 5 * 2 * 4, dtype=torch.float64).view(5, 2, 4)
o, w = cross(q, k, v)
print(o.shape, w.shape, rounded(o[2, 1]), rounded(w[1, 0]))
o1, w1 = cross(q[:, 0], k[:, 0], v[:, 0])
print(o1.shape, w1.shape, rounded(o1[0]))
try:
    nn.MultiheadAttention(10, 3)
except AssertionError as e:
    print("AssertionError", e)
try:
    mha(x, x, x, attn_mask=torch.ones(3, 4, dtype=torch.bool))
except RuntimeError as e:
    print("RuntimeError", e)
