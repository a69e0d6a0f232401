"""Dive into Deep Learning's attention chapters (PyTorch edition, 1st-edition style), shrunk:
sequence_mask (X[~mask] = value, in place on a graph tensor), masked_softmax (repeat_interleave of
valid_lens, 1-D and 2-D), AdditiveAttention (unsqueeze broadcasting, tanh, w_v, squeeze(-1), bmm),
DotProductAttention (bmm with keys.transpose(1, 2) / sqrt(d)), MultiHeadAttention with
transpose_qkv / transpose_output (reshape, permute), the sinusoidal PositionalEncoding, and a few SGD
steps of the multi-head attention on a formula target.

The weights come from a formula instead of the default init; dropout is declared as in the book
and the printed numbers are taken in eval mode (a train-mode call is compared by shape only)."""
import math

import torch
from torch import nn


def sequence_mask(X, valid_len, value=0):
    """Mask irrelevant entries in sequences."""
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32,
                        device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


def masked_softmax(X, valid_lens):
    """Perform softmax operation by masking elements on the last axis."""
    # `X`: 3D tensor, `valid_lens`: 1D or 2D tensor
    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # On the last axis, replace masked elements with a very large negative
        # value, whose exponentiation outputs 0
        X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)


class AdditiveAttention(nn.Module):
    """Additive attention."""
    def __init__(self, key_size, query_size, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # After dimension expansion, shape of `queries`: (`batch_size`, no. of
        # queries, 1, `num_hiddens`) and shape of `keys`: (`batch_size`, 1,
        # no. of key-value pairs, `num_hiddens`). Sum them up with broadcasting
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class DotProductAttention(nn.Module):
    """Scaled dot product attention."""
    def __init__(self, dropout, **kwargs):
        super(DotProductAttention, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


def transpose_qkv(X, num_heads):
    """Transposition for parallel computation of multiple attention heads."""
    X = X.reshape(X.shape[0], X.shape[1], num_heads, -1)
    X = X.permute(0, 2, 1, 3)
    return X.reshape(-1, X.shape[2], X.shape[3])


def transpose_output(X, num_heads):
    """Reverse the operation of `transpose_qkv`."""
    X = X.reshape(-1, num_heads, X.shape[1], X.shape[2])
    X = X.permute(0, 2, 1, 3)
    return X.reshape(X.shape[0], X.shape[1], -1)


class MultiHeadAttention(nn.Module):
    """Multi-head attention."""
    def __init__(self, key_size, query_size, value_size, num_hiddens,
                 num_heads, dropout, bias=False, **kwargs):
        super(MultiHeadAttention, self).__init__(**kwargs)
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        queries = transpose_qkv(self.W_q(queries), self.num_heads)
        keys = transpose_qkv(self.W_k(keys), self.num_heads)
        values = transpose_qkv(self.W_v(values), self.num_heads)
        if valid_lens is not None:
            # On axis 0, copy the first item (scalar or vector) for
            # `num_heads` times, then copy the next item, and so on
            valid_lens = torch.repeat_interleave(
                valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        output_concat = transpose_output(output, self.num_heads)
        return self.W_o(output_concat)


class PositionalEncoding(nn.Module):
    """Positional encoding."""
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(
            -1, 1) / torch.pow(10000, torch.arange(
            0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)


def formula_(module, phase=0.0):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_((torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.641 + phase + i) * 0.4).view(p.shape))


def show(t, digits=4):
    return [round(v, digits) for v in t.detach().flatten().tolist()]


X = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(sequence_mask(X, torch.tensor([1, 2])))
scores = torch.sin(torch.arange(16, dtype=torch.float32)).reshape(2, 2, 4)
print(show(masked_softmax(scores, torch.tensor([2, 3]))))
print(show(masked_softmax(scores, torch.tensor([[1, 3], [2, 4]]))))

queries, keys = torch.cos(torch.arange(40.0)).reshape(2, 1, 20) * 0.1, torch.ones((2, 10, 2))
values = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)
valid_lens = torch.tensor([2, 6])
attention = AdditiveAttention(key_size=2, query_size=20, num_hiddens=8, dropout=0.1)
formula_(attention)
attention.eval()
out = attention(queries, keys, values, valid_lens)
print(out.shape, show(out, 3), show(attention.attention_weights.sum(-1)))

queries = torch.sin(torch.arange(4.0)).reshape(2, 1, 2)
keys = torch.cos(torch.arange(40.0)).reshape(2, 10, 2)
attention = DotProductAttention(dropout=0.5)
attention.eval()
out = attention(queries, keys, values, valid_lens)
print(out.shape, show(out, 3), show(attention.attention_weights[0, 0, :3]))

num_hiddens, num_heads = 16, 4
attention = MultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads, 0.5)
formula_(attention, 1.0)
attention.eval()
print(attention)
batch_size, num_queries = 2, 4
num_kvpairs, valid_lens = 6, torch.tensor([3, 2])
X = torch.sin(torch.arange(batch_size * num_queries * num_hiddens, dtype=torch.float32)).reshape(batch_size, num_queries, num_hiddens)
Y = torch.cos(torch.arange(batch_size * num_kvpairs * num_hiddens, dtype=torch.float32)).reshape(batch_size, num_kvpairs, num_hiddens)
out = attention(X, Y, Y, valid_lens)
print(out.shape, round(out.sum().item(), 4), show(attention.attention.attention_weights[1, 0]))

pos_encoding = PositionalEncoding(num_hiddens, 0)
pos_encoding.eval()
Xp = pos_encoding(torch.zeros((1, 8, num_hiddens)))
P = pos_encoding.P[:, :Xp.shape[1], :]
print(P.shape, show(P[0, 3, :6]))

# a few SGD steps of the multi-head attention fitting a formula target; valid_lens per query (2-D)
target = torch.tanh(X.flip(-1)) * 0.5
optimizer = torch.optim.SGD(attention.parameters(), lr=0.5)
lens2d = torch.tensor([[1, 2, 3, 4], [6, 5, 4, 3]])
for step in range(8):
    loss = ((attention(PositionalEncoding(num_hiddens, 0)(X), Y, Y, lens2d) - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, round(loss.item(), 5), round(attention.W_q.weight.grad.norm().item(), 5))

attention.train()
print(attention(X, Y, Y, valid_lens).shape)
