"""Linear regression from scratch and concisely, in the style of Dive into Deep Learning: synthetic
data from torch.normal, minibatches by Python's random.shuffle, sgd by hand, then nn.Linear +
DataLoader + SGD.  The data come from the engine's own random stream, so only shapes and
estimates rounded to one decimal are printed."""
import random

import torch
from torch import nn
from torch.utils import data

random.seed(0)
torch.manual_seed(0)


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print("features:", features.shape, "label:", labels.shape)


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10
for X, y in data_iter(batch_size, features, labels):
    print(X.shape, y.shape)
    break

w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr = 0.03
num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f"epoch {epoch + 1}, loss below 0.01: {float(train_l.mean()) < 0.01}")
print(f"w: {[round(v, 1) for v in w.reshape(-1).tolist()]}, b: {round(b.item(), 1)}")

dataset = data.TensorDataset(features, labels)
data_loader = data.DataLoader(dataset, batch_size, shuffle=True)
print(len(data_loader), [t.shape for t in next(iter(data_loader))])
net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    for X, y in data_loader:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f"epoch {epoch + 1}, loss below 0.01: {l.item() < 0.01}")
w = net[0].weight.data
print("error in estimating w:", (true_w - w.reshape(true_w.shape)).abs().max().item() < 0.05)
b = net[0].bias.data
print("error in estimating b:", abs(true_b - b.item()) < 0.05)
