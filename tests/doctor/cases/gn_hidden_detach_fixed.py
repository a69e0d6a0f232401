# doctor: expect none
# On glassnet (import glassnet as torch): a character LSTM trained with truncated BPTT: the hidden state is
# carried from one chunk to the next and detached once per chunk (the fixed twin).
import glassnet as torch
import glassnet.nn as nn

torch.manual_seed(0)
text = "hello world, the hidden state carries over. " * 40
chars = sorted(set(text))
data = torch.tensor([chars.index(c) for c in text])


class CharLSTM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.head = nn.Linear(32, vocab)

    def forward(self, x, hidden=None):
        out, hidden = self.lstm(self.emb(x), hidden)
        return self.head(out), hidden


model = CharLSTM(len(chars))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
chunk, hidden = 25, None
for epoch in range(3):
    for i in range(0, len(data) - chunk - 1, chunk):
        x, y = data[i:i + chunk].unsqueeze(0), data[i + 1:i + chunk + 1].unsqueeze(0)
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden)   # cut the graph at the chunk boundary
        logits, hidden = model(x, hidden)
        loss = nn.functional.cross_entropy(logits.view(-1, len(chars)), y.view(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(loss.item())
