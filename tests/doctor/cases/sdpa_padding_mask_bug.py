# doctor: expect padding-mask-inverted
# A classifier whose own self-attention calls F.scaled_dot_product_attention with a boolean mask
# built as nn.MultiheadAttention wants it (True on the padding). SDPA reads a boolean attn_mask
# the other way round (True = this key takes part), so every query attends only to the padding.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, max_len, vocab, PAD = 1024, 24, 30, 29
lengths = torch.randint(4, 20, (n,))
tokens = torch.full((n, max_len), PAD, dtype=torch.long)
for i, L in enumerate(lengths):
    tokens[i, :L] = torch.randint(0, PAD, (int(L),))
labels = ((tokens == 1).sum(1) > (tokens == 2).sum(1)).long()


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, h, pad):                            # pad: (B, T), True at the padding
        B, T, C = h.shape
        q, k, v = self.qkv(h).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=pad[:, None, None, :])   # BUG
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Classifier(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.attn = SelfAttention(d, 4)
        self.ln = nn.LayerNorm(d)
        self.out = nn.Linear(d, 2)

    def forward(self, x):
        pad = x == PAD
        h = self.emb(x) + self.pos(torch.arange(x.shape[1]))
        h = self.ln(h + self.attn(h, pad))
        keep = (~pad).unsqueeze(-1).float()
        return self.out((h * keep).sum(1) / keep.sum(1))


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(100):
    idx = torch.randint(0, n, (32,))
    loss = F.cross_entropy(model(tokens[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
