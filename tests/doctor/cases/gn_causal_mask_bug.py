# doctor: expect causal-mask-missing
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# A small GPT in Karpathy's style whose attention head forgot the causal mask: every position
# sees the token it must predict, so the training loss falls fast and generation is garbage.
import glassnet as torch
import glassnet.nn as nn
from glassnet.nn import functional as F

torch.manual_seed(1337)
batch_size, block_size, n_embd, n_head = 16, 16, 32, 4
text = "a stitch in time saves nine; look before you leap. " * 40
chars = sorted(set(text))
vocab_size = len(chars)
data = torch.tensor([chars.index(c) for c in text], dtype=torch.long)


def get_batch():
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


class Head(nn.Module):
    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        # BUG: the line that masks the future was lost:
        # wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x)


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        self.heads = nn.ModuleList([Head(n_embd // n_head) for _ in range(n_head)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.ln = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        x = x + self.proj(torch.cat([h(x) for h in self.heads], dim=-1))
        logits = self.lm_head(self.ln(x))
        return logits, F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


model = GPT()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
for it in range(80):
    xb, yb = get_batch()
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
print(loss.item())
