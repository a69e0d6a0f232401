# doctor: expect rnn-batch-first
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# A GRU classifier of (batch, seq, feature) sequences built without batch_first=True: the GRU
# reads the 32 examples of a batch as 32 time steps and the 20 time steps as a batch. Shapes
# still fit, and the loss falls a little (it learns from mixed-up sequences).
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
        self.gru = nn.GRU(3, 16)                         # BUG: batch_first=False by default
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
