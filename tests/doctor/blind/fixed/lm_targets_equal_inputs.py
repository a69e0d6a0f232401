# blind: expect none
# Source: PyTorch forum "Language model loss goes to zero but generates garbage" / "LSTM language model
# loss too low" threads: the batching code uses the same slice for input and target (y = x instead of
# the next characters), so the model learns to copy its input.
import torch
from torch import nn

torch.manual_seed(0)
text = open(__file__).read() * 3
vocab = sorted(set(text))
ids = torch.tensor([vocab.index(c) for c in text])
seq_len, batch_size = 32, 16


def get_batch():
    starts = torch.randint(0, len(ids) - seq_len - 1, (batch_size,))
    x = torch.stack([ids[s:s + seq_len] for s in starts])
    y = torch.stack([ids[s + 1:s + seq_len + 1] for s in starts])
    return x, y


class RNNLM(nn.Module):
    def __init__(self, ntoken, ninp=48, nhid=96):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.GRU(ninp, nhid, batch_first=True)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, x):
        out, _ = self.rnn(self.encoder(x))
        return self.decoder(out)


model = RNNLM(len(vocab))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for step in range(250):
    x, y = get_batch()
    optimizer.zero_grad()
    loss = criterion(model(x).reshape(-1, len(vocab)), y.reshape(-1))
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(step, loss.item())
