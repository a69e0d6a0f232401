# blind: expect none
# Ported from pytorch/tutorials intermediate_source/char_rnn_classification_tutorial.py (the classic
# version): RNN module with i2h/i2o Linear layers on cat(input, hidden) and LogSoftmax, one name per
# step (lineToTensor one-hot (len, 1, n_letters)), initHidden(), criterion = nn.NLLLoss(),
# rnn.zero_grad(), and the manual update p.data.add_(p.grad.data, alpha=-learning_rate) with
# learning_rate = 0.005; randomTrainingExample(). The names files replaced by generated names whose
# language shows in their endings.
import random
import string

import torch
import torch.nn as nn

random.seed(0)
torch.manual_seed(0)
all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
endings = {"Italian": ["ini", "elli", "one"], "Russian": ["ov", "sky", "enko"], "Irish": ["an", "agh", "ey"],
           "Japanese": ["moto", "shi", "ta"]}
category_lines = {}
for lang, ends in endings.items():
    category_lines[lang] = ["".join(random.choice("bcdfgklmnprstv") + random.choice("aeiou")
                                    for _ in range(random.randint(1, 3))).capitalize() + random.choice(ends)
                            for _ in range(300)]
all_categories = list(category_lines)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 128
rnn = RNN(n_letters, n_hidden, n_categories)
criterion = nn.NLLLoss()
learning_rate = 0.005


def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    return category, line, category_tensor, lineToTensor(line)


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


current_loss = 0
n_iters = 3000
for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if iter % 500 == 0:
        print(iter, current_loss / 500)
        current_loss = 0
