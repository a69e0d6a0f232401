# blind: expect padding-mask-inverted
# Source: PyTorch issue/forum threads on nn.MultiheadAttention's key_padding_mask ("True means ignore",
# the opposite of Hugging Face's attention_mask; e.g. "key_padding_mask gives NaN / wrong results"):
# the mask is built as tokens != pad, so the real tokens are masked and only padding is attended.
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
PAD = 0
seqs, labels = [], []
for _ in range(2000):
    n = int(torch.randint(4, 24, ()))
    s = torch.randint(1, 30, (n,))
    seqs.append(s)
    labels.append(int(s.float().mean() > 15))
labels = torch.tensor(labels)


class AttnClassifier(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.emb = nn.Embedding(30, d, padding_idx=PAD)
        self.attn = nn.MultiheadAttention(d, 4, batch_first=True)
        self.fc = nn.Linear(d, 2)

    def forward(self, tokens):
        x = self.emb(tokens)
        key_padding_mask = tokens != PAD
        h, _ = self.attn(x, x, x, key_padding_mask=key_padding_mask)
        keep = (tokens != PAD).unsqueeze(-1).float()
        return self.fc((h * keep).sum(1) / keep.sum(1))


model = AttnClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    perm = torch.randperm(len(seqs))
    for i in range(0, len(seqs), 32):
        idx = perm[i:i + 32]
        batch = pad_sequence([seqs[j] for j in idx], batch_first=True, padding_value=PAD)
        optimizer.zero_grad()
        loss = criterion(model(batch), labels[idx])
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
