# doctor: expect padding-mask-inverted
# A two-layer nn.TransformerEncoder classifier of token sequences padded with 0 to 32, given
# src_key_padding_mask = (tokens != 0), the "attention mask" convention of other libraries (True
# on the real tokens): the encoder ignores the keys marked True, so it attends only to padding.
import torch
import torch.nn as nn
import torch.nn.functional as F

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
        layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.out = nn.Linear(d, 2)

    def forward(self, x):
        h = self.emb(x) + self.pos(torch.arange(x.shape[1]))
        h = self.encoder(h, src_key_padding_mask=(x != 0))     # BUG: True = ignore this key
        keep = (x != 0).unsqueeze(-1).float()
        return self.out((h * keep).sum(1) / keep.sum(1))


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(100):
    idx = torch.randint(0, n, (32,))
    loss = F.cross_entropy(model(tokens[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
