# doctor: expect none
# Token tagging with padded batches of different lengths: a collate_fn pads integer sequences
# with pad_sequence, returns a dict batch, and the per-token targets carry ignore_index=-100 at
# the padding (CrossEntropyLoss ignores them).
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
sentences = [torch.randint(1, 20, (int(n),)) for n in torch.randint(3, 15, (600,))]
tags = [(s % 3) for s in sentences]


def collate(batch):
    tokens = pad_sequence([b[0] for b in batch], batch_first=True, padding_value=0)
    target = pad_sequence([b[1] for b in batch], batch_first=True, padding_value=-100)
    return {"tokens": tokens, "tags": target, "lengths": torch.tensor([len(b[0]) for b in batch])}


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16, padding_idx=0)
        self.hidden = nn.Linear(16, 32)
        self.out = nn.Linear(32, 3)

    def forward(self, batch):
        return self.out(torch.relu(self.hidden(self.emb(batch["tokens"]))))


loader = DataLoader(list(zip(sentences, tags)), batch_size=16, shuffle=True, collate_fn=collate)
model = Tagger()
criterion = nn.CrossEntropyLoss(ignore_index=-100)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    for batch in loader:
        logits = model(batch)
        loss = criterion(logits.reshape(-1, 3), batch["tags"].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
