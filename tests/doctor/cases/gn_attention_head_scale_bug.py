# doctor: expect attention-unscaled
# On glassnet (import glassnet as torch): the structural test, read from glassnet's graph.
# Karpathy's one-head block (ln1 before the head, head_size = n_embd = 32) with the scores
# q·kᵀ not multiplied by head_size ** -0.5. At default initialisation the logits still look
# tame (a spread of about 2, few one-hot rows: the magnitude test stays silent), but the graph
# shows q·kᵀ reaching the softmax with no scaling, so their spread grows as √32 times what it
# should be as q and k learn.
import glassnet as torch
import glassnet.nn as nn
from glassnet.nn import functional as F

torch.manual_seed(0)
batch_size, block_size, n_embd = 16, 16, 32
text = "first citizen: before we proceed any further, hear me speak. " * 40
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


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
        wei = q @ k.transpose(-2, -1)                      # BUG: no * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x)


class OneHeadLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding_table = nn.Embedding(len(chars), n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.sa_head = Head(n_embd)
        self.lm_head = nn.Linear(n_embd, len(chars))

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
        x = x + self.sa_head(self.ln1(x))
        logits = self.lm_head(x)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))


model = OneHeadLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
for it in range(40):
    xb, yb = get_batch()
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
print(loss.item())
