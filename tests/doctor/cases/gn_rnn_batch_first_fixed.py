# doctor: expect none
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# A GRU classifier of (batch, seq, feature) sequences built with batch_first=True (the fixed twin
# of rnn_batch_first_bug.py).
import glassnet as torch
import glassnet.nn as nn
from glassnet.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
n, length = 640, 20
X = torch.randn(n, length, 3)
y = (X[:, :, 0].cumsum(1)[:, -1] > 0).long()          # the sign of the first feature's sum
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 16, batch_first=True)
        self.head = nn.Linear(16, 2)

    def forward(self, x):                                # x: (batch, seq, feature)
        out, h = self.gru(x)
        return self.head(out[:, -1])


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(5):
    for xb, yb in loader:
        loss = nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(loss.item())
