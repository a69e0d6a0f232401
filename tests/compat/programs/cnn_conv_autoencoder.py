"""A small convolutional autoencoder: Conv2d encoder, ConvTranspose2d decoder (output_padding),
MSE and Adam, on images made from a formula."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = AutoEncoder()
print(model)
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.9 + 0.3 * i)).reshape(p.shape) * 0.3)
k = torch.arange(8 * 16 * 16, dtype=torch.float32).reshape(8, 1, 16, 16)
images = (torch.sin(k * 0.05) + 1) / 2
print("code", model.encoder(images).shape, "reconstruction", model(images).shape)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.MSELoss()
for epoch in range(5):
    optimizer.zero_grad()
    loss = criterion(model(images), images)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: {loss.item():.5f}")
