# blind: expect rnn-batch-first
# Source: discuss.pytorch.org/t/lstm-change-batch-first-true-loss-does-not-decrease/62364 and
# taourl.com "RNN loss not decreasing ... batch_first": (batch, seq, feature) tensors fed to an
# nn.LSTM built with the default batch_first=False, so it reads the batch as time. Sequence
# classification: is the sum of the sequence positive?
import torch
from torch import nn

torch.manual_seed(0)
N, T = 2048, 15
X = torch.randn(N, T, 3)
y = (X[:, :, 0].sum(1) > 0).long()


class SeqClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=3, hidden_size=32)
        self.fc = nn.Linear(32, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])   # "the last time step"


model = SeqClassifier()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64, shuffle=True)
for epoch in range(6):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
