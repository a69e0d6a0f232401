# doctor: expect none
# Variable-length float sequences padded per batch (so every batch has its own length), batches
# as lists [x, lengths, y], a mean over the real steps, and a two-class classifier.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
data = []
for i in range(512):
    n = int(torch.randint(4, 30, ()))
    label = i % 2
    data.append((torch.randn(n, 3) + label, label))


def batches(size=32):
    order = torch.randperm(len(data)).tolist()
    for i in range(0, len(order), size):
        chunk = [data[j] for j in order[i:i + size]]
        length = max(x.shape[0] for x, _ in chunk)
        x = torch.zeros(len(chunk), length, 3)
        for k, (seq, _) in enumerate(chunk):
            x[k, :seq.shape[0]] = seq
        yield [x, torch.tensor([s.shape[0] for s, _ in chunk]), torch.tensor([l for _, l in chunk])]


class MeanPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, x, lengths):
        h = F.relu(self.proj(x))
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).float().unsqueeze(-1)
        return self.head((h * mask).sum(1) / lengths[:, None])


model = MeanPool()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(6):
    for x, lengths, y in batches():
        loss = F.cross_entropy(model(x, lengths), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(loss.item())
