# doctor: expect none
# On glassnet (import glassnet as torch): pytorch/examples' DCGAN loop, shrunk to two MLPs on 2-D points: D trains on a real and a fake batch (two backward()
# before its step), then G's backward runs through D (whose gradients are zeroed before D's next step), two optimizers.
import glassnet
import glassnet as torch
import glassnet.nn as nn
import glassnet.optim as optim

torch.manual_seed(0)
nz = 4
netG = nn.Sequential(nn.Linear(nz, 16), nn.ReLU(True), nn.Linear(16, 2))
netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
real_label, fake_label = 1, 0
angle = torch.linspace(0, 6.28, 512)
data = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True)
for epoch in range(4):
    for i, real in enumerate(loader):
        netD.zero_grad()
        label = torch.full((real.size(0),), real_label, dtype=real.dtype)
        output = netD(real).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.randn(real.size(0), nz)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
    print(epoch, round((errD_real + errD_fake).item(), 3), round(errG.item(), 3))
