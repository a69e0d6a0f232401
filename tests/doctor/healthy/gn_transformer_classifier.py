# doctor: expect none
# A transformer classifier on glassnet (import glassnet as torch): token sequences padded to one
# length, nn.TransformerEncoder with a key_padding_mask (True = padding), mean over the real
# tokens, AdamW, evaluation in eval mode under no_grad.
import glassnet as torch
import glassnet.nn as nn
import glassnet.nn.functional as F

torch.manual_seed(0)
vocab, length, n = 12, 10, 512
lengths = torch.randint(4, length + 1, (n,))
tokens = torch.randint(1, vocab, (n, length))
pad = torch.arange(length).unsqueeze(0) >= lengths.unsqueeze(1)
tokens = tokens.masked_fill(pad, 0)
labels = ((tokens == 3).sum(1) > 0).long()          # does token 3 occur?


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab, 16, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(length, 16) * 0.1)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(16, 2)

    def forward(self, x, pad):
        h = self.encoder(self.emb(x) + self.pos, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((h * keep).sum(1) / keep.sum(1))


model = Classifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(80):
    idx = torch.randint(0, n, (32,))
    loss = F.cross_entropy(model(tokens[idx], pad[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        model.eval()
        with torch.no_grad():
            acc = (model(tokens, pad).argmax(1) == labels).float().mean()
        model.train()
        print(step, round(loss.item(), 3), round(acc.item(), 3))
