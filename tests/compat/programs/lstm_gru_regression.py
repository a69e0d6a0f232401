"""Sequence regression with ``nn.LSTM`` and ``nn.GRU`` (batch_first), as in the usual time-series
tutorials: windows of a signal given by a formula, the model reads a window and predicts the
next value from its last output; weights set from a formula, a few Adam steps, losses rounded."""
import math

import torch
from torch import nn

T, N = 12, 16
t = torch.arange(N + T + 1, dtype=torch.float64)
signal = torch.sin(t * 0.3) + 0.5 * torch.cos(t * 0.11)
X = torch.stack([signal[i:i + T] for i in range(N)]).unsqueeze(-1)    # (N, T, 1)
y = torch.stack([signal[i + T] for i in range(N)]).unsqueeze(-1)      # (N, 1)
print(X.shape, y.shape)


class SeqModel(nn.Module):
    def __init__(self, cell, hidden=8, layers=2, bidirectional=False):
        super().__init__()
        self.rnn = cell(input_size=1, hidden_size=hidden, num_layers=layers, batch_first=True,
                        bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


def set_weights(model):
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            n = p.numel()
            p.copy_((torch.sin(torch.arange(n, dtype=torch.float64) * 0.61 + k) * 0.3).view(p.shape))


for cell, bidirectional in ((nn.LSTM, False), (nn.GRU, False), (nn.GRU, True)):
    model = SeqModel(cell, bidirectional=bidirectional).double()
    set_weights(model)
    print(model)
    print([name for name, _ in model.named_parameters()][:5])
    out, state = model.rnn(X)
    shapes = [tuple(s.shape) for s in state] if isinstance(state, tuple) else tuple(state.shape)
    print(tuple(out.shape), shapes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    for step in range(30):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        if step % 6 == 0:
            print(cell.__name__, step, f"{loss.item():.5f}")
    with torch.no_grad():
        h0 = torch.zeros(model.rnn.num_layers * (2 if bidirectional else 1), 1, 8, dtype=torch.float64)
        hx = (h0, h0.clone()) if cell is nn.LSTM else h0
        seq_out, _ = model.rnn(X[:1], hx)
        print("prediction", f"{model.fc(seq_out[:, -1]).item():.4f}", "target", f"{y[0].item():.4f}")

cell = nn.LSTMCell(1, 4).double()
set_weights(cell)
h, c = torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64)
for i in range(T):
    h, c = cell(X[:2, i], (h, c))
print(cell, [f"{v:.4f}" for v in h[0].tolist()], math.isfinite(c.sum().item()))
