"""Karpathy's gpt.py ("Let's build GPT"), shrunk: a Head with a tril buffer and masked_fill,
heads side by side, blocks with residuals and LayerNorm, AdamW, estimate_loss under
@torch.no_grad with model.eval()/train(), and generation with torch.multinomial.  The weights
come from a formula and the batches from a fixed list, so torch and glassnet take the same steps;
the generated text depends on the random stream, so only its shape and range are printed."""
import math

import torch
import torch.nn as nn
from torch.nn import functional as F

batch_size = 4
block_size = 8
max_iters = 30
eval_interval = 10
learning_rate = 3e-3
n_embd = 16
n_head = 2
n_layer = 2
dropout = 0.0
torch.manual_seed(1337)

text = ("first citizen: before we proceed any further, hear me speak.\n"
        "all: speak, speak.\n"
        "first citizen: you are all resolved rather to die than to famish?\n"
        "all: resolved. resolved.\n") * 3
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
decode = lambda l: "".join([itos[i] for i in l])
print(vocab_size, repr("".join(chars)))

data = torch.tensor(encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data = data[:n]
val_data = data[n:]
print(data.shape, data.dtype, train_data.shape, val_data.shape)

step_counter = [0]


def get_batch(split):
    # the video draws ix with torch.randint; a fixed walk keeps both engines on the same batches
    data = train_data if split == "train" else val_data
    k = step_counter[0]
    step_counter[0] += 1
    ix = torch.tensor([(k * 37 + j * 101) % (len(data) - block_size) for j in range(batch_size)])
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss():
    out = {}
    model.eval()
    for split in ["train", "val"]:
        losses = torch.zeros(3)
        for k in range(3):
            X, Y = get_batch(split)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


class Head(nn.Module):
    """ one head of self-attention """

    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)
        out = wei @ v
        return out


class MultiHeadAttention(nn.Module):
    """ multiple heads of self-attention in parallel """

    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        out = self.dropout(self.proj(out))
        return out


class FeedFoward(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        head_size = n_embd // n_head
        self.sa = MultiHeadAttention(n_head, head_size)
        self.ffwd = FeedFoward(n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class GPTLanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)
        pos_emb = self.position_embedding_table(torch.arange(T))
        x = tok_emb + pos_emb
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            logits = logits.view(B * T, C)
            targets = targets.view(B * T)
            loss = F.cross_entropy(logits, targets)
        return logits, loss

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -block_size:]
            logits, loss = self(idx_cond)
            logits = logits[:, -1, :]
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


model = GPTLanguageModel()
with torch.no_grad():   # weights from a formula instead of the random init
    for k, (name, p) in enumerate(model.named_parameters()):
        i = torch.arange(p.numel(), dtype=torch.float32)
        p.copy_((torch.sin(i * 0.37 + k) * (0.2 if p.dim() > 1 else 0.05)).view(p.shape))
        if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name == "ln_f.weight":
            p.add_(1.0)
print(sum(p.numel() for p in model.parameters()) / 1e3, "K parameters")
print([name for name, _ in model.named_buffers()])
print(model.blocks[0].sa.heads[0])
print(model.blocks[0].sa.heads[0].tril[:4, :4])

optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
for iter in range(max_iters):
    if iter % eval_interval == 0 or iter == max_iters - 1:
        losses = estimate_loss()
        print(f"step {iter}: train loss {losses['train']:.3f}, val loss {losses['val']:.3f}")
    xb, yb = get_batch("train")
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
print(model.training, logits.shape, f"{loss.item():.3f}")

with torch.no_grad():   # the first head's weights on a val batch, as the video computes wei
    x, _ = get_batch("val")
    h = model.blocks[0].sa.heads[0]
    e = model.blocks[0].ln1(model.token_embedding_table(x) + model.position_embedding_table(torch.arange(block_size)))
    wei = h.query(e) @ h.key(e).transpose(-2, -1) * h.key.out_features ** -0.5
    wei = wei.masked_fill(h.tril == 0, float("-inf")).softmax(-1)
    print(wei.shape, wei[0, 2, :3], torch.allclose(wei.sum(-1), torch.ones(batch_size, block_size)))

context = torch.zeros((1, 1), dtype=torch.long)
out = model.generate(context, max_new_tokens=40)[0].tolist()
print(len(out), all(0 <= t < vocab_size for t in out), len(decode(out)), out[0])
