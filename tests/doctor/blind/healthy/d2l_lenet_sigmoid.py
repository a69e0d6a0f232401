# blind: expect none
# Ported from d2l.ai chapter "Convolutional Neural Networks (LeNet)" (PyTorch tab, 2nd edition):
# nn.Sequential LeNet with Sigmoid activations and AvgPool2d, xavier_uniform_ init (init_weights),
# train_ch6 with SGD lr=0.9 and CrossEntropyLoss, net.train()/evaluate_accuracy_gpu in net.eval().
# Fashion-MNIST 28x28 replaced by the 8x8 digits padded to 28x28; batch 64, 8 epochs.
import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
digits = load_digits()
imgs = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
imgs = nn.functional.interpolate(imgs, size=(28, 28), mode="bilinear", align_corners=False)
labels = torch.tensor(digits.target)
train_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(imgs[:1500], labels[:1500]),
                                         batch_size=64, shuffle=True)
test_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(imgs[1500:], labels[1500:]),
                                        batch_size=256)
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))


def evaluate_accuracy_gpu(net, data_iter):
    net.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += (net(X).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def train_ch6(net, train_iter, test_iter, num_epochs, lr):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        net.train()
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
        print(epoch, l.item(), evaluate_accuracy_gpu(net, test_iter))


train_ch6(net, train_iter, test_iter, num_epochs=8, lr=0.9)
