# blind: expect hidden-not-detached
# Source: learn.biosrag.com "Why 'Cannot backpropagate more than once' happens in RNN/LSTM training"
# and pytorch/examples word_language_model (whose repackage_hidden() exists for this): an LSTM
# language model keeps its hidden state across batches without detach(); torch raises "Trying to
# backward through the graph a second time" on the second batch.
import torch
from torch import nn

torch.manual_seed(0)
text = "the quick brown fox jumps over the lazy dog " * 60
chars = sorted(set(text))
data = torch.tensor([chars.index(c) for c in text])
bptt, batch_size = 20, 8
n = len(data) // batch_size
stream = data[:n * batch_size].view(batch_size, n)


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


model = CharLSTM(len(chars))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    state = None
    for i in range(0, n - 1 - bptt, bptt):
        x, y = stream[:, i:i + bptt], stream[:, i + 1:i + 1 + bptt]
        optimizer.zero_grad()
        logits, state = model(x, state)
        loss = criterion(logits.reshape(-1, len(chars)), y.reshape(-1))
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
