"""Source: pytorch/examples, vae/main.py (the VAE with the continuous-Bernoulli log normalising
constant: atanh, cont_bern_log_norm with torch.where over torch.max of two bool tensors,
loss_function, train/test), as written.
Changed: MNIST (torchvision) is replaced by TensorDatasets of 96 training and 32 test images
made from a formula (values in [0, 1], shape (N, 1, 28, 28)); --batch-size 16, --epochs 2,
--log-interval 2 as argparse defaults; torchvision's save_image is left out (the shapes of what
it would save are printed).  The batch order (shuffle=True) and the reparameterisation noise
(torch.randn_like) come from the random stream, which differs between torch and glassnet, so
the training and test losses are printed by range.
Harness (not the example's): a VAE with every parameter from a formula and the noise eps taken
from a formula (a subclass's reparameterize) trains three Adam steps on the first batch; its
losses and decoded values are compared in full."""
from __future__ import print_function
import argparse
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F


parser = argparse.ArgumentParser(description='VAE MNIST Example')
parser.add_argument('--batch-size', type=int, default=16, metavar='N',
                    help='input batch size for training (default: 128)')
parser.add_argument('--epochs', type=int, default=2, metavar='N',
                    help='number of epochs to train (default: 10)')
parser.add_argument('--no-cuda', action='store_true', default=False,
                    help='enables CUDA training')
parser.add_argument('--seed', type=int, default=1, metavar='S',
                    help='random seed (default: 1)')
parser.add_argument('--log-interval', type=int, default=2, metavar='N',
                    help='how many batches to wait before logging training status')
args = parser.parse_args()
args.cuda = not args.no_cuda and torch.cuda.is_available()

torch.manual_seed(args.seed)

device = torch.device("cuda" if args.cuda else "cpu")


def images(n, offset):  # in place of datasets.MNIST(..., transform=transforms.ToTensor())
    i = torch.arange(n * 784, dtype=torch.float32).reshape(n, 1, 28, 28)
    x = 0.5 + 0.5 * torch.sin(0.013 * i + offset) * torch.cos(0.07 * (i % 28))
    return torch.utils.data.TensorDataset(x.clamp(0, 1), torch.arange(n) % 10)


kwargs = {'num_workers': 1, 'pin_memory': True} if args.cuda else {}
train_loader = torch.utils.data.DataLoader(
    images(96, 0.0),
    batch_size=args.batch_size, shuffle=True, **kwargs)
test_loader = torch.utils.data.DataLoader(
    images(32, 1.0),
    batch_size=args.batch_size, shuffle=True, **kwargs)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5*logvar)
        eps = torch.randn_like(std)
        return mu + eps*std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        # clamp to avoid numerical issues with the continuous Bernoulli log normalizing constant
        return torch.clamp(torch.sigmoid(self.fc4(h3)), min=1e-4, max=1.0 - 1e-4)

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)

def atanh(x):
    # inverse hyperbolic tangent, used to compute the log normalizing constant of the continuous Bernoulli
    return 0.5 * (torch.log(1.0 + x) - torch.log(1.0 - x))

def cont_bern_log_norm(lam, l_lim=0.49, u_lim=0.51):
    # computes the log normalizing constant of a continuous Bernoulli distribution in a numerically stable way.
    # returns the log normalizing constant for lam in (0, l_lim) U (u_lim, 1) and a Taylor approximation in
    # [l_lim, u_lim].
    cut_lam = torch.where(torch.max(torch.le(lam, l_lim), torch.gt(lam, u_lim)), lam, l_lim * torch.ones_like(lam))
    log_norm = torch.log(torch.abs(2.0 * atanh(1 - 2.0 * cut_lam))) - torch.log(torch.abs(1 - 2.0 * cut_lam))
    taylor = torch.log(torch.tensor(2.0)) + 4.0 / 3.0 * torch.pow(lam - 0.5, 2) + 104.0 / 45.0 * torch.pow(lam - 0.5, 4)
    return torch.where(torch.max(torch.le(lam, l_lim), torch.gt(lam, u_lim)), log_norm, taylor)

# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

    # this term correctly accounts for using a binary cross entropy reconstruction term when the data is not binarized:
    # Loaiza-Ganem and Cunningham. The continuous Bernoulli: fixing a pervasive error in variational autoencoders.
    # NeurIPS, 2019
    # https://arxiv.org/abs/1907.06845
    NLNC = -torch.sum(cont_bern_log_norm(recon_x)) # negative log normalizing constant

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + NLNC + KLD


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss < 600: {}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                       100. * batch_idx / len(train_loader),
                       loss.item() / len(data) < 600))

    print('====> Epoch: {} Average loss < 600: {}'.format(
          epoch, train_loss / len(train_loader.dataset) < 600))


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                      recon_batch.view(args.batch_size, 1, 28, 28)[:n]])
                print('save_image', comparison.shape)  # save_image(comparison.cpu(), ...)

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss < 600: {}'.format(test_loss < 600))

if __name__ == "__main__":
    for epoch in range(1, args.epochs + 1):
        train(epoch)
        test(epoch)
        with torch.no_grad():
            sample = torch.randn(64, 20).to(device)
            sample = model.decode(sample).cpu()
            print('save_image', sample.view(64, 1, 28, 28).shape)  # save_image(...)

    # harness: the noise and the parameters from formulas, three Adam steps on the first batch
    class FormulaVAE(VAE):
        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5*logvar)
            eps = torch.cos(torch.arange(std.numel(), dtype=std.dtype).reshape(std.shape))
            return mu + eps*std

    model = FormulaVAE()
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            ramp = torch.arange(p.numel(), dtype=torch.float64).reshape(p.shape)
            p.copy_((0.05 * torch.sin(0.37 * ramp + k)).to(p.dtype))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    data = images(16, 0.0).tensors[0]
    for step in range(3):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        optimizer.step()
        print(step, round(loss.item() / len(data), 3), round(mu.abs().mean().item(), 4))
    print(cont_bern_log_norm(torch.tensor([0.1, 0.495, 0.5, 0.505, 0.9])))
