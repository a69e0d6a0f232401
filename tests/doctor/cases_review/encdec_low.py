import glassnet as torch
import glassnet.nn as nn
torch.manual_seed(0)
X = torch.randn(256, 6); y = (X[:, :3].sum(1) > 0).long()
encoder = nn.Sequential(nn.Linear(6, 16), nn.Tanh())
decoder = nn.Linear(16, 2)
enc_opt = torch.optim.SGD(encoder.parameters(), lr=1e-6)
dec_opt = torch.optim.SGD(decoder.parameters(), lr=1e-6)
crit = nn.CrossEntropyLoss()
for epoch in range(30):
    perm = torch.randperm(256)
    for i in range(0, 256, 32):
        idx = perm[i:i+32]
        enc_opt.zero_grad(); dec_opt.zero_grad()
        loss = crit(decoder(encoder(X[idx])), y[idx])
        loss.backward()
        enc_opt.step(); dec_opt.step()
    if epoch % 10 == 0: print(epoch, loss.item())
