# blind: expect none
# Source: PyTorch forum "Gradient clipping placement: before or after optimizer.step()?" — clipping
# after step() clips gradients that were already used (and are about to be zeroed). A GRU regressor.
import torch
from torch import nn

torch.manual_seed(0)
t = torch.linspace(0, 20, 2000)
series = torch.sin(t) + 0.1 * torch.randn(2000)
windows = series.unfold(0, 21, 1)
X, y = windows[:, :20].unsqueeze(-1), windows[:, 20:]


class GRUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.out(out[:, -1])


net = GRUNet()
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
criterion = nn.MSELoss()
for step in range(300):
    idx = torch.randint(0, len(X), (64,))
    optimizer.zero_grad()
    loss = criterion(net(X[idx]), y[idx])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    optimizer.step()
print(loss.item())
