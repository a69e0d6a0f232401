"""PyTorch's char-RNN name-classification tutorial ("NLP From Scratch: Classifying Names with a
Character-Level RNN"), its hand-written RNN cell: one-hot letters, i2h/h2o Linear layers on
cat(input, hidden), LogSoftmax, a Python loop over the characters, NLLLoss and the tutorial's
manual SGD ``p.data.add_(p.grad.data, alpha=-learning_rate)``.  A few names per language stand in
for the data files; the weights come from a formula so torch and glassnet start equal."""
import string

import torch
import torch.nn as nn

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {
    "English": ["Smith", "Jones", "Taylor", "Brown", "Wilson"],
    "French": ["Dubois", "Lefevre", "Moreau", "Laurent", "Girard"],
    "Japanese": ["Tanaka", "Suzuki", "Yamamoto", "Nakamura", "Kobayashi"],
}
all_categories = list(category_lines)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(n_letters, lineToTensor("Jones").size())


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.h2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
print(rnn)
with torch.no_grad():
    for k, p in enumerate(rnn.parameters()):
        n = p.numel()
        p.copy_((torch.sin(torch.arange(n, dtype=torch.float32) * 0.37 + k) * 0.1).view(p.shape))

input = lineToTensor("Albert")
hidden = torch.zeros(1, n_hidden)
output, next_hidden = rnn(input[0], hidden)
print(output.shape, next_hidden.shape, [f"{v:.4f}" for v in output[0].tolist()])


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


criterion = nn.NLLLoss()
learning_rate = 0.005


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


examples = [(c, line) for i in range(5) for c in all_categories for line in category_lines[c][i:i + 1]]
current_loss = 0
for epoch in range(1, 9):
    for category, line in examples:
        category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
        output, loss = train(category_tensor, lineToTensor(line))
        current_loss += loss
    if epoch % 2 == 0:
        print(epoch, f"{current_loss / (2 * len(examples)):.4f}")
        current_loss = 0


def evaluate(line_tensor):
    hidden = rnn.initHidden()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    return output


with torch.no_grad():
    for name in ["Jones", "Moreau", "Suzuki", "Dubois"]:
        output = evaluate(lineToTensor(name))
        guess, guess_i = categoryFromOutput(output)
        print(name, guess, f"{output[0][guess_i].item():.3f}")
