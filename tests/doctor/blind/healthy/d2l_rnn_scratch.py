# blind: expect none
# Ported from d2l.ai chapter "Recurrent Neural Network Implementation from Scratch" (PyTorch tab, 1st
# edition API): get_params (normal(0, 0.01) W_xh, W_hh, b_h, W_hq, b_q with requires_grad_),
# init_rnn_state, rnn() looping tanh(X @ W_xh + H @ W_hh + b_h) over one-hot time steps,
# RNNModelScratch, grad_clipping(net, theta) rescaling param.grad[:] by hand, and train_epoch_ch8
# with random sampling (state re-initialised each minibatch), nn.CrossEntropyLoss and
# torch.optim.SGD(lr=1). The Time Machine replaced by an embedded text.
import math
import random

import torch
from torch import nn
from torch.nn import functional as F

random.seed(0)
torch.manual_seed(0)
text = "the time machine by h g wells the time traveller for so it will be convenient to speak of him " * 30
vocab = sorted(set(text))
corpus = [vocab.index(c) for c in text]
num_steps, batch_size, num_hiddens = 20, 32, 128


def seq_data_iter_random(corpus, batch_size, num_steps):
    corpus = corpus[random.randint(0, num_steps - 1):]
    num_subseqs = (len(corpus) - 1) // num_steps
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    random.shuffle(initial_indices)
    for i in range(0, batch_size * (num_subseqs // batch_size), batch_size):
        ids = initial_indices[i:i + batch_size]
        X = [corpus[j:j + num_steps] for j in ids]
        Y = [corpus[j + 1:j + 1 + num_steps] for j in ids]
        yield torch.tensor(X), torch.tensor(Y)


def get_params(vocab_size, num_hiddens):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape) * 0.01
    W_xh, W_hh, b_h = normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)), torch.zeros(num_hiddens)
    W_hq, b_q = normal((num_hiddens, num_outputs)), torch.zeros(num_outputs)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens):
    return (torch.zeros((batch_size, num_hiddens)),)


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        outputs.append(torch.mm(H, W_hq) + b_q)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    def __init__(self, vocab_size, num_hiddens, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size):
        return self.init_state(batch_size, self.num_hiddens)


def grad_clipping(net, theta):
    params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_epoch_ch8(net, corpus, loss, updater):
    total, n = 0.0, 0
    for X, Y in seq_data_iter_random(corpus, batch_size, num_steps):
        state = net.begin_state(batch_size=X.shape[0])
        y = Y.T.reshape(-1)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        updater.zero_grad()
        l.backward()
        grad_clipping(net, 1)
        updater.step()
        total, n = total + l.item() * y.numel(), n + y.numel()
    return math.exp(total / n)


net = RNNModelScratch(len(vocab), num_hiddens, get_params, init_rnn_state, rnn)
updater = torch.optim.SGD(net.params, lr=1)
loss = nn.CrossEntropyLoss()
for epoch in range(40):
    ppl = train_epoch_ch8(net, corpus, loss, updater)
    if (epoch + 1) % 10 == 0:
        print(epoch + 1, "perplexity", ppl)
