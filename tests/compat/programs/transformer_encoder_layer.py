"""nn.TransformerEncoderLayer / nn.TransformerEncoder with weights from a formula: eval and train
steps with dropout=0, post-norm and pre-norm, a src_key_padding_mask, a causal mask from
nn.Transformer.generate_square_subsequent_mask and one from torch.triu, a few SGD steps."""
import torch
import torch.nn as nn


def formula(t, phase):
    n = t.numel()
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.53 + phase) * 0.3).view(t.shape)


def rounded(t, digits=4):
    return [round(v, digits) for v in t.detach().flatten().tolist()]


def fill(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(formula(p, i))


layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
print(layer)
encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8)).double()
print(len(list(encoder.parameters())), list(encoder.state_dict())[:5])
fill(encoder)
src = (torch.cos(torch.arange(3 * 5 * 8, dtype=torch.float64) * 0.3)).view(3, 5, 8)
mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
print(mask)
padding = torch.tensor([[False] * 5, [False, False, False, True, True], [False, False, False, False, True]])

encoder.eval()
with torch.no_grad():
    out = encoder(src, mask=mask)
    print(out.shape, rounded(out[0, 2]))
    padded = encoder(src, src_key_padding_mask=padding)
    print(rounded(padded[1, 1]), rounded(padded[1, 4]))
encoder.train()
out = encoder(src, mask=mask, src_key_padding_mask=padding)
print(rounded(out[2, 3]))

opt = torch.optim.SGD(encoder.parameters(), lr=0.05)
target = torch.linspace(-1, 1, 8, dtype=torch.float64)
for step in range(3):
    opt.zero_grad()
    out = encoder(src, mask=mask, src_key_padding_mask=padding)
    loss = ((out - target) ** 2).mean()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
print(rounded(encoder.layers[0].self_attn.in_proj_weight.grad[0, :4]))
print(rounded(encoder.layers[1].linear2.bias))

pre = nn.TransformerEncoderLayer(8, 4, 12, dropout=0.0, activation="gelu", norm_first=True).double()
fill(pre)
seq_first = src.transpose(0, 1).contiguous().requires_grad_()
triu_mask = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
y = pre(seq_first, src_mask=triu_mask, is_causal=True)
y.sum().backward()
print(y.shape, rounded(y[4, 0]))
print(rounded(seq_first.grad[0, 1]))
print(rounded(pre.norm1.weight.grad))
