# doctor: expect none
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# The padded transformer classifier with the key-padding mask True on the padding (the fixed
# twin of padding_mask_inverted_bug.py).
import glassnet as torch
import glassnet.nn as nn
import glassnet.nn.functional as F

torch.manual_seed(0)
n, max_len, vocab = 1024, 32, 40
lengths = torch.randint(4, 25, (n,))
tokens = torch.zeros(n, max_len, dtype=torch.long)
for i, L in enumerate(lengths):
    tokens[i, :L] = torch.randint(1, vocab, (int(L),))
labels = ((tokens == 1).sum(1) > (tokens == 2).sum(1)).long()


class Classifier(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = nn.Embedding(max_len, d)
        self.layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d, 2)

    def forward(self, x):
        attention_mask = x != 0                          # True on real tokens
        h = self.emb(x) + self.pos(torch.arange(x.shape[1]))
        h = self.layer(h, src_key_padding_mask=~attention_mask)  # True: ignore
        keep = (x != 0).unsqueeze(-1).float()
        return self.out((h * keep).sum(1) / keep.sum(1))


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(120):
    idx = torch.randint(0, n, (32,))
    loss = F.cross_entropy(model(tokens[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
