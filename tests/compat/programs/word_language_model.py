"""pytorch/examples word_language_model, shrunk: model.py's RNNModel (nn.LSTM / nn.GRU / nn.RNN
through getattr(nn, rnn_type), dropout between layers, tied encoder/decoder weights, init_hidden with
weight.new_zeros) and TransformerModel (a subclass of nn.Transformer with a PositionalEncoding
buffer and _generate_square_subsequent_mask), and main.py's loop: data.py's Dictionary/Corpus on a
fixed text, batchify (narrow, view, t, contiguous), get_batch with bptt, repackage_hidden, NLLLoss,
clip_grad_norm_, the hand-written SGD step p.data.add_(p.grad, alpha=-lr), evaluate under no_grad,
the lr annealing, a state_dict round trip through torch.save/torch.load, flatten_parameters, and
generate.py's sampling (torch.multinomial: shape and range only).

The inits draw from torch's random stream, so every parameter is then set from a formula; dropout
is 0 while the printed numbers are produced (a dropout run is compared by shape only)."""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self, lines):
        self.dictionary = Dictionary()
        self.train = self.tokenize(lines[:6])
        self.valid = self.tokenize(lines[6:8])
        self.test = self.tokenize(lines[8:])

    def tokenize(self, lines):
        for line in lines:
            words = line.split() + ['<eos>']
            for word in words:
                self.dictionary.add_word(word)
        idss = []
        for line in lines:
            words = line.split() + ['<eos>']
            ids = []
            for word in words:
                ids.append(self.dictionary.word2idx[word])
            idss.append(torch.tensor(ids).type(torch.int64))
        ids = torch.cat(idss)
        return ids


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("""An invalid option for `--model` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']""") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """Container module with an encoder, a recurrent or transformer module, and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                               num_encoder_layers=nlayers, num_decoder_layers=1,
                                               dropout=dropout)
        self.model_type = 'Transformer'
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout, max_len=64)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
        mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, float(0.0))
        return mask

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(device)
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def formula_(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            values = torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.917 + 0.5 * i) * 0.25
            p.copy_(values.view(p.shape))


lines = ["the quick brown fox jumps over the lazy dog",
         "the lazy dog sleeps in the sun",
         "a quick fox runs over the hill",
         "the dog and the fox are friends",
         "in the sun the fox sleeps",
         "over the hill a dog runs",
         "the fox jumps over the dog",
         "a lazy fox sleeps",
         "the quick dog runs in the sun",
         "the brown dog jumps"]
torch.manual_seed(1111)
device = torch.device("cpu")
corpus = Corpus(lines)
print(len(corpus.dictionary), corpus.train.shape, corpus.valid.shape, corpus.test.shape, corpus.train.dtype)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


batch_size, eval_batch_size, bptt, clip = 4, 2, 5, 0.25
train_data = batchify(corpus.train, batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)
print(train_data.shape, val_data.shape, train_data[:3].tolist())
ntokens = len(corpus.dictionary)
criterion = nn.NLLLoss()


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, data_source, kind):
    model.eval()
    total_loss = 0.
    if kind != 'Transformer':
        hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            if kind == 'Transformer':
                output = model(data)
                output = output.view(-1, ntokens)
            else:
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train(model, kind, lr, epoch):
    model.train()
    if kind == 'Transformer':
        model.eval()  # its layers' dropout draws from the random stream; the gradients are the same
    total_loss = 0.
    if kind != 'Transformer':
        hidden = model.init_hidden(batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        if kind == 'Transformer':
            output = model(data)
            output = output.view(-1, ntokens)
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        print('| epoch {:3d} | {:3d}/{:3d} batches | lr {:02.2f} | loss {:5.3f} | ppl {:8.3f} | norm {:.3f}'.format(
            epoch, batch, len(train_data) // bptt, lr, loss.item(), math.exp(loss.item()), total_norm.item()))


for kind, tied in [('LSTM', False), ('GRU', True), ('RNN_TANH', False), ('Transformer', False)]:
    print('=' * 20, kind, 'tied' if tied else '')
    if kind == 'Transformer':
        model = TransformerModel(ntokens, 8, 2, 16, 2, 0.0).to(device)
    else:
        model = RNNModel(kind, ntokens, 8, 8, 2, 0.0, tied).to(device)
    formula_(model)
    print(sum(p.numel() for p in model.parameters()), [n for n, _ in model.named_parameters()][:6])
    lr, best_val_loss = 2.0, None
    for epoch in range(1, 4):
        train(model, kind, lr, epoch)
        val_loss = evaluate(model, val_data, kind)
        print('| end of epoch {:3d} | valid loss {:5.3f} | valid ppl {:8.3f}'.format(epoch, val_loss, math.exp(val_loss)))
        if not best_val_loss or val_loss < best_val_loss:
            with open('model.pt', 'wb') as f:
                torch.save(model.state_dict(), f)
            best_val_loss = val_loss
        else:
            lr /= 4.0
    with open('model.pt', 'rb') as f:
        model.load_state_dict(torch.load(f))
        if kind in ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU']:
            model.rnn.flatten_parameters()
    test_loss = evaluate(model, test_data, kind)
    print('| End of training | test loss {:5.3f} | test ppl {:8.3f}'.format(test_loss, math.exp(test_loss)))
    os.remove('model.pt')

# the masks, positional encoding and a dropout run (random stream: shapes only)
print(model._generate_square_subsequent_mask(3))
print(nn.Transformer.generate_square_subsequent_mask(3))
print(model.pos_encoder.pe.shape, [round(v, 4) for v in model.pos_encoder.pe[3, 0, :4].tolist()])
dropped = RNNModel('LSTM', ntokens, 8, 8, 2, 0.5)
dropped.train()
out, (h, c) = dropped(train_data[:5], dropped.init_hidden(batch_size))
print(out.shape, h.shape, c.shape)

# generate.py: word by word, temperature, multinomial
model = RNNModel('LSTM', ntokens, 8, 8, 2, 0.0)
formula_(model)
model.eval()
hidden = model.init_hidden(1)
input = torch.randint(ntokens, (1, 1), dtype=torch.long).to(device)
words = []
with torch.no_grad():
    for i in range(6):
        output, hidden = model(input, hidden)
        word_weights = output.squeeze().div(1.0).exp().cpu()
        word_idx = torch.multinomial(word_weights, 1)[0]
        input.fill_(word_idx)
        words.append(corpus.dictionary.idx2word[word_idx])
print(len(words), all(w in corpus.dictionary.word2idx for w in words), input.shape, input.dtype)
