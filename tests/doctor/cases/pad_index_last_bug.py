# doctor: expect padding-last-step
# A GRU classifier of word sequences whose vocabulary puts "<pad>" last (index 49, as a vocab
# built by appending the specials does), padded to the longest of each batch with that index, and
# read at output[:, -1]: the last step of every shorter sequence is a pad step.
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
vocab = [f"w{i}" for i in range(49)] + ["<pad>"]
PAD = vocab.index("<pad>")
lengths = torch.randint(4, 30, (800,))
sentences = [torch.randint(0, PAD, (int(n),)) for n in lengths]
labels = [int((s[:3] < 24).sum() >= 2) for s in sentences]        # read from the first words


def collate(batch):
    tokens = pad_sequence([b[0] for b in batch], batch_first=True, padding_value=PAD)
    return tokens, torch.tensor([len(b[0]) for b in batch]), torch.tensor([b[1] for b in batch])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(len(vocab), 32, padding_idx=PAD)
        self.gru = nn.GRU(32, 64, batch_first=True)
        self.out = nn.Linear(64, 2)

    def forward(self, tokens, lengths):
        output, _ = self.gru(self.emb(tokens))
        return self.out(output[:, -1])                   # BUG: the last step is padding


loader = DataLoader(list(zip(sentences, labels)), batch_size=32, shuffle=True, collate_fn=collate)
model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(4):
    for tokens, lens, y in loader:
        loss = criterion(model(tokens, lens), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
