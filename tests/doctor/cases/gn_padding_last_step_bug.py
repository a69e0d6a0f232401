# doctor: expect padding-last-step
# On glassnet (import glassnet as torch): the same program on glassnet's engine.
# An LSTM sentiment-style classifier of variable-length token sequences, padded with 0 to the
# longest of each batch, that classifies from output[:, -1]: for every sequence shorter than
# the longest, the last step is a pad step, so the label is read from the state after padding.
import glassnet as torch
import glassnet.nn as nn
from glassnet.nn.utils.rnn import pad_sequence
from glassnet.utils.data import DataLoader

torch.manual_seed(0)
lengths = torch.randint(4, 30, (800,))
sentences = [torch.randint(1, 50, (int(n),)) for n in lengths]
labels = [int((s[:3] < 25).sum() >= 2) for s in sentences]        # read from the first tokens


def collate(batch):
    tokens = pad_sequence([b[0] for b in batch], batch_first=True, padding_value=0)
    return tokens, torch.tensor([len(b[0]) for b in batch]), torch.tensor([b[1] for b in batch])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.out = nn.Linear(64, 2)

    def forward(self, tokens, lengths):
        output, _ = self.lstm(self.emb(tokens))
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
