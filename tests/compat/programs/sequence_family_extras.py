"""The rest of torch's sequence family in one small program: an LSTM with projections
(proj_size, two layers, bidirectional) read out by a LazyLinear whose optimizer is built before the
first forward, trained a few steps under CyclicLR; PolynomialLR's rates; MultiheadAttention with
add_bias_kv and add_zero_attn; grouped-query scaled_dot_product_attention (enable_gqa)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def formula(t, phase):
    n = t.numel()
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.41 + phase) * 0.3).view(t.shape)


def rounded(t, digits=4):
    return [round(v, digits) for v in t.detach().flatten().tolist()]


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 6, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)
        self.head = nn.LazyLinear(1)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.head(out).squeeze(-1), h, c


model = Tagger().double()
print(model)
print([(name, tuple(p.shape)) for name, p in model.lstm.named_parameters()][:5])
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)   # before the first forward
print(model.head.in_features, len(optimizer.param_groups[0]["params"]))
scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                              mode="triangular2", base_momentum=0.8, max_momentum=0.95)
x = torch.cos(torch.arange(4 * 5 * 3, dtype=torch.float64) * 0.3).view(4, 5, 3)
y = torch.sin(torch.arange(4 * 5, dtype=torch.float64) * 0.7).view(4, 5)
model(x)                                                               # materializes the head
print(model.head, type(model.head).__name__)
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(formula(p, i))
out, h, c = model(x)
print(out.shape, h.shape, c.shape, rounded(out[0]), rounded(h[:, 0]))
for step in range(7):
    optimizer.zero_grad()
    pred, _, _ = model(x)
    loss = F.mse_loss(pred, y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"step {step}  loss {loss.item():.6f}  lr {scheduler.get_last_lr()[0]:.5f}  "
          f"momentum {optimizer.param_groups[0]['momentum']:.4f}")
print("weight_hr grads", rounded(model.lstm.weight_hr_l1_reverse.grad, 5))
print("head grad", rounded(model.head.weight.grad, 5))

sgd = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
poly = torch.optim.lr_scheduler.PolynomialLR(sgd, total_iters=6, power=1.5)
rates = []
for _ in range(8):
    sgd.step()
    poly.step()
    rates.append(round(poly.get_last_lr()[0], 6))
print("polynomial:", rates)

mha = nn.MultiheadAttention(6, 2, add_bias_kv=True, add_zero_attn=True, batch_first=True).double()
print(sorted(mha.state_dict().keys()), tuple(mha.bias_k.shape))
with torch.no_grad():
    for i, p in enumerate(mha.parameters()):
        p.copy_(formula(p, 0.3 * i))
q = torch.linspace(-1, 1, 2 * 3 * 6, dtype=torch.float64).view(2, 3, 6).requires_grad_()
padding = torch.tensor([[False, False, True], [False, False, False]])
o, w = mha(q, q, q, key_padding_mask=padding)
print(o.shape, w.shape, rounded(w[0]), rounded(o[1, 2]))
(o ** 2).sum().backward()
print("bias_k grad", rounded(mha.bias_k.grad, 5), "bias_v grad", rounded(mha.bias_v.grad, 5))

qh = torch.sin(torch.arange(1 * 4 * 3 * 2, dtype=torch.float64)).view(1, 4, 3, 2).requires_grad_()
kh = torch.cos(torch.arange(1 * 2 * 3 * 2, dtype=torch.float64)).view(1, 2, 3, 2).requires_grad_()
vh = torch.linspace(-1, 1, 1 * 2 * 3 * 2, dtype=torch.float64).view(1, 2, 3, 2)
g = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True, enable_gqa=True)
g.sum().backward()
print(g.shape, rounded(g[0, 3]), rounded(kh.grad[0, 1]))
try:
    F.scaled_dot_product_attention(qh, kh[:, :1].expand(1, 3, 3, 2), vh, enable_gqa=True)
except RuntimeError as err:
    print("RuntimeError:", str(err)[:60])
try:
    nn.LSTM(3, 4, proj_size=4)
except ValueError as err:
    print("ValueError:", err)
