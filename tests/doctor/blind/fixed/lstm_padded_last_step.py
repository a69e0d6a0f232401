# blind: expect none
# Source: Godoy, "Deep Learning with PyTorch Step-by-Step", ch. 8 ("even if the padded point is full of
# zeros ... the hidden state gets transformed") and the forum's "LSTM classification with padded
# sequences: output[:, -1] is the padding" threads: a right-padded batch, read at out[:, -1].
# Task: is the last token of the (variable-length) sequence above 10?
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
seqs, labels = [], []
for _ in range(3000):
    n = int(torch.randint(3, 30, ()))
    s = torch.randint(1, 20, (n,))
    seqs.append(s)
    labels.append(int(s[-1] > 10))
labels = torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16, padding_idx=0)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 2)

    def forward(self, tokens, lengths):
        out, _ = self.lstm(self.emb(tokens))
        last = out[torch.arange(len(lengths)), lengths - 1]   # each sequence's last real step
        return self.fc(last)


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    perm = torch.randperm(len(seqs))
    for i in range(0, len(seqs), 32):
        idx = perm[i:i + 32]
        batch = pad_sequence([seqs[j] for j in idx], batch_first=True)
        lengths = torch.tensor([len(seqs[j]) for j in idx])
        optimizer.zero_grad()
        loss = criterion(model(batch, lengths), labels[idx])
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
