# doctor: expect none
# On glassnet (import glassnet as torch): PyTorch's char-RNN name-generation tutorial, shrunk: a program class named RNN (no batch_first) over
# cat(category, one-hot letter, hidden), per-letter NLLLoss summed into `loss = torch.Tensor([0])` (a (1,)-shaped
# loss), `p.data.add_(p.grad.data, alpha=-lr)`; targets are next letters (a language model: letter frequencies
# are the data, not a class imbalance).
import random
import string
import glassnet
import glassnet as torch
import glassnet.nn as nn

random.seed(0)
torch.manual_seed(0)
names = {'A': ['Abbott', 'Adams', 'Baker', 'Carter', 'Dawson'], 'B': ['Abakov', 'Babin', 'Chekov', 'Egorov', 'Ivanov']}
all_letters = string.ascii_letters
n_letters = len(all_letters) + 1
categories = list(names)


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(len(categories) + input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(len(categories) + input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, category, input, hidden):
        input_combined = torch.cat((category, input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output = self.softmax(self.o2o(torch.cat((hidden, output), 1)))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def tensors(category, line):
    c = torch.zeros(1, len(categories))
    c[0][categories.index(category)] = 1
    x = torch.zeros(len(line), 1, n_letters)
    for i, letter in enumerate(line):
        x[i][0][all_letters.find(letter)] = 1
    y = torch.LongTensor([all_letters.find(line[i]) for i in range(1, len(line))] + [n_letters - 1])
    return c, x, y


rnn = RNN(n_letters, 32, n_letters)
criterion = nn.NLLLoss()
for it in range(300):
    category = random.choice(categories)
    c, x, y = tensors(category, random.choice(names[category]))
    y.unsqueeze_(-1)
    hidden = rnn.initHidden()
    rnn.zero_grad()
    loss = torch.Tensor([0])
    for i in range(x.size(0)):
        output, hidden = rnn(c, x[i], hidden)
        loss += criterion(output, y[i])
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-0.005)
print(round(loss.item() / x.size(0), 2))
