# doctor: expect attention-unscaled
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# A one-head character model in Karpathy's style with a wide head (128) whose scores q·kᵀ are
# not divided by √128: at initialisation the logits spread √128 ≈ 11× wider than scaled ones,
# many softmax rows are already near one-hot, and the queries and keys get little gradient.
import glassnet as torch
import glassnet.nn as nn
from glassnet.nn import functional as F

torch.manual_seed(0)
batch_size, block_size, n_embd = 16, 32, 128
text = "the quick brown fox jumps over the lazy dog. " * 60
chars = sorted(set(text))
data = torch.tensor([chars.index(c) for c in text], dtype=torch.long)


def get_batch():
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


class AttentionLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(len(chars), n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        self.key = nn.Linear(n_embd, n_embd, bias=False)
        self.query = nn.Linear(n_embd, n_embd, bias=False)
        self.value = nn.Linear(n_embd, n_embd, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.lm_head = nn.Linear(n_embd, len(chars))

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        q, k = self.query(x), self.key(x)
        wei = q @ k.transpose(-2, -1)                      # BUG: no * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return self.lm_head(x + wei @ self.value(x))


model = AttentionLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
for it in range(60):
    xb, yb = get_batch()
    logits = model(xb)
    B, T, C = logits.shape
    loss = F.cross_entropy(logits.view(B * T, C), yb.view(B * T))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
print(loss.item())
