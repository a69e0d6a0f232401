# doctor: expect view-instead-of-permute
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# A 1-D convolutional tagger: Conv1d gives (batch, classes, length) scores, flattened with
# view(-1, classes) for cross_entropy. view keeps memory order, so each row holds 5 consecutive
# positions of one class, not the 5 class scores of one position; shapes fit and it "trains".
import glassnet as torch
import glassnet.nn as nn
import glassnet.nn.functional as F

torch.manual_seed(0)
n, length, vocab, classes = 512, 24, 12, 5
tokens = torch.randint(0, vocab, (n, length))
tags = (tokens + torch.roll(tokens, 1, dims=1)) % classes          # depends on a 2-token window


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.conv = nn.Conv1d(32, 64, kernel_size=3, padding=1)
        self.head = nn.Conv1d(64, classes, kernel_size=1)

    def forward(self, x):
        h = self.emb(x).transpose(1, 2)                  # (batch, channels, length)
        return self.head(torch.relu(self.conv(h)))       # (batch, classes, length)


model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(150):
    idx = torch.randint(0, n, (32,))
    scores = model(tokens[idx])
    loss = F.cross_entropy(scores.reshape(-1, classes), tags[idx].reshape(-1))   # BUG
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
