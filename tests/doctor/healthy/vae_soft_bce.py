# doctor: expect none
# pytorch/examples' VAE, shrunk: binary cross-entropy with reduction='sum' against pixel intensities in [0, 1]
# (soft targets: a reconstruction, not a classification) plus the KL term; then a fresh model of a subclass
# replaces the first (a restart with another reparameterisation) with its own optimizer.
import torch
from torch import nn, optim
from torch.nn import functional as F

torch.manual_seed(1)
i = torch.arange(256 * 64, dtype=torch.float32).reshape(256, 64)
images = (0.5 + 0.5 * torch.sin(0.37 * i) * torch.cos(0.011 * i)).clamp(0, 1)
loader = torch.utils.data.DataLoader(images, batch_size=32, shuffle=True)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def forward(self, x):
        mu, logvar = self.encode(x)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(self.reparameterize(mu, logvar))))), mu, logvar


class MeanVAE(VAE):
    def reparameterize(self, mu, logvar):
        return mu


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x, reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


for model in (VAE(), MeanVAE()):
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(5):
        for data in loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar)
            loss.backward()
            optimizer.step()
    print(type(model).__name__, round(loss.item() / len(data), 2))
