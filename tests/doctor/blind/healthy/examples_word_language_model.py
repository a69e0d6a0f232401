# blind: expect none
# Ported from pytorch/examples word_language_model (main.py and model.py): RNNModel (Embedding encoder,
# dropout, nn.LSTM, Linear decoder, init_weights uniform ±0.1, init_hidden), batchify() into
# (len, bsz) columns, get_batch(source, i) with bptt, repackage_hidden(), clip_grad_norm_(0.25) and
# the manual update p.data.add_(p.grad, alpha=-lr) with lr=20, evaluate() in eval mode, lr /= 4 when
# validation stops improving. Wikitext-2 replaced by a generated word stream; small sizes.
import math
import random

import torch
import torch.nn as nn

torch.manual_seed(1111)
random.seed(1111)
words = "the cat dog sat on a mat and ran to park with big small red blue".split()
stream = []
for _ in range(1200):
    stream += [random.choice(words[:3]), random.choice(words[3:5]), random.choice(words[5:8]),
               random.choice(words[8:]), "<eos>"]
vocab = sorted(set(stream))
ids = torch.tensor([vocab.index(w) for w in stream])
train_ids, val_ids = ids[:5000], ids[5000:]


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


bptt, batch_size, eval_batch_size, clip = 20, 20, 10, 0.25
train_data = batchify(train_ids, batch_size)
val_data = batchify(val_ids, eval_batch_size)
ntokens = len(vocab)
model = RNNModel(ntokens, 32, 64, 2)
criterion = nn.NLLLoss()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(data_source):
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train():
    model.train()
    hidden = model.init_hidden(batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)


lr = 20
best_val_loss = None
for epoch in range(1, 9):
    train()
    val_loss = evaluate(val_data)
    print('| end of epoch {:3d} | valid loss {:5.2f} | valid ppl {:8.2f}'.format(epoch, val_loss, math.exp(val_loss)))
    if not best_val_loss or val_loss < best_val_loss:
        best_val_loss = val_loss
    else:
        lr /= 4.0
