# doctor: expect none
# A sequence regression on glassnet (import glassnet as torch): an LSTM (batch_first) reads 30 noisy steps of a sine and
# predicts the next value from its last hidden state; gradients clipped before the step.
import math

import glassnet as torch
import glassnet.nn as nn

torch.manual_seed(0)
t = torch.linspace(0, 60 * math.pi, 4000)
series = torch.sin(t) + 0.05 * torch.randn_like(t)
window = 30
X = torch.stack([series[i:i + window] for i in range(0, 3000)]).unsqueeze(-1)
y = torch.stack([series[i + window] for i in range(0, 3000)]).unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


model = Forecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(150):
    idx = torch.randint(0, len(X), (64,))
    loss = nn.functional.mse_loss(model(X[idx]), y[idx])
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 50 == 0:
        print(step, loss.item())
