# blind: expect none
# Source: the forum's "view vs permute" threads (e-com-net.com "permute(): view can make the dims match
# but it has no meaning") applied to per-position tagging: Conv1d logits are (batch, classes, length);
# logits.view(-1, classes) mixes classes and positions instead of permute(0, 2, 1).
import torch
from torch import nn

torch.manual_seed(0)
N, L, C = 1024, 40, 5
tokens = torch.randint(0, 50, (N, L))
tags = tokens % C                          # the tag of each position is a function of its token


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 32)
        self.conv = nn.Sequential(nn.Conv1d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv1d(64, C, 1))

    def forward(self, x):
        return self.conv(self.emb(x).permute(0, 2, 1))      # (N, C, L)


model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for step in range(300):
    idx = torch.randint(0, N, (32,))
    logits = model(tokens[idx])
    optimizer.zero_grad()
    loss = criterion(logits.permute(0, 2, 1).reshape(-1, C), tags[idx].reshape(-1))
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, loss.item())
