"""The small GPT of "Let's build GPT" (Karpathy's ``gpt.py``), written as a learner writes it:
one ``Head`` with a ``tril`` buffer and ``masked_fill``, heads side by side, blocks with
pre-LayerNorm residuals, a token and a position embedding and a linear head.

It is the model of ``glassnet lesson gpt``, of the GPT benchmark and of explain's transformer
tests, so all three show the same network.  ``GPTConfig()`` is the issue's tiny GPT: 2 layers,
4 heads, 64 channels, context 32.  The lesson's two earlier steps are here too: the video's
``BigramLanguageModel`` (each character's logits read from a table row) and ``AttentionLM``
(embeddings, one layer of self-attention heads, a linear head: no blocks).
"""
from __future__ import annotations

from dataclasses import dataclass

import glassnet as torch
from glassnet import nn
from glassnet.nn import functional as F


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 32
    n_embd: int = 64
    n_head: int = 4
    n_layer: int = 2
    dropout: float = 0.0


class Head(nn.Module):
    """One head of causal self-attention."""

    def __init__(self, config: GPTConfig, head_size: int):
        super().__init__()
        self.key = nn.Linear(config.n_embd, head_size, bias=False)
        self.query = nn.Linear(config.n_embd, head_size, bias=False)
        self.value = nn.Linear(config.n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(config.block_size, config.block_size)))
        self.dropout = nn.Dropout(config.dropout)

    def weights(self, x):
        """The (B, T, T) attention weights: row t is how much position t reads each position."""
        B, T, C = x.shape
        k = self.key(x)                                              # (B, T, hs)
        q = self.query(x)                                            # (B, T, hs)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5          # (B, T, T) affinities
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # no looking ahead
        return F.softmax(wei, dim=-1)

    def forward(self, x):
        wei = self.dropout(self.weights(x))
        v = self.value(x)
        return wei @ v                                               # (B, T, hs)


class MultiHeadAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        head_size = config.n_embd // config.n_head
        self.heads = nn.ModuleList([Head(config, head_size) for _ in range(config.n_head)])
        self.proj = nn.Linear(head_size * config.n_head, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class FeedForward(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd), nn.ReLU(),
            nn.Linear(4 * config.n_embd, config.n_embd), nn.Dropout(config.dropout))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Communication (attention) then computation (feed-forward), each around a residual."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.sa = MultiHeadAttention(config)
        self.ffwd = FeedForward(config)
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.ln2 = nn.LayerNorm(config.n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig = GPTConfig()):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)                      # (B, T, C)
        pos_emb = self.position_embedding_table(torch.arange(T))       # (T, C)
        x = self.blocks(tok_emb + pos_emb)
        logits = self.lm_head(self.ln_f(x))                            # (B, T, vocab)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens: int):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size:])
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


class BigramLanguageModel(nn.Module):
    """The video's baseline: the logits for the next character are row ``idx`` of a table."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.config = GPTConfig(vocab_size=vocab_size, block_size=1)
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        return _with_loss(self.token_embedding_table(idx), targets)  # (B, T, vocab)

    generate = GPT.generate                 # with a context of one character: the last one


class AttentionLM(nn.Module):
    """The video's middle step: token and position embeddings, one layer of ``config.n_head``
    self-attention heads (``n_head=1``: a single head of size ``n_embd``), a linear head."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embd)
        self.sa_heads = MultiHeadAttention(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
        return _with_loss(self.lm_head(self.sa_heads(x)), targets)    # (B, T, vocab)

    generate = GPT.generate


def _with_loss(logits, targets):
    """``(logits, mean cross-entropy over every position)``; ``(logits, None)`` without targets."""
    if targets is None:
        return logits, None
    B, T, C = logits.shape
    return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
