# doctor: expect none
# A GRU over integer token sequences (an embedding, sequence-first layout as nn.GRU expects by
# default): is the count of token 1 above the count of token 2?
import torch
import torch.nn as nn

torch.manual_seed(0)
seqs = torch.randint(0, 6, (2000, 20))
labels = ((seqs == 1).sum(1) > (seqs == 2).sum(1)).long()


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(6, 16)
        self.gru = nn.GRU(16, 32)
        self.out = nn.Linear(32, 2)

    def forward(self, tokens):                       # (batch, seq)
        x = self.emb(tokens).transpose(0, 1)         # (seq, batch, feature)
        _, h = self.gru(x)
        return self.out(h[-1])


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for step in range(150):
    idx = torch.randint(0, 2000, (64,))
    loss = nn.functional.cross_entropy(model(seqs[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
