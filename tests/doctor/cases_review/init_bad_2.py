# An overconfident start (the last layer's weights scaled up) under BCEWithLogitsLoss with its
# default reduction='mean' on batches of 4: the first loss is near 4·ln 2, which a loss summed over
# the batch would give at a healthy start, but this one is a mean. Data and weights from formulas,
# so both engines start from the same loss.
import glassnet as torch
import glassnet.nn as nn
X = torch.cos(torch.arange(320, dtype=torch.float32) * 0.37).reshape(64, 5)
y = (X[:, 0] > 0).float().unsqueeze(1)
model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + i).reshape(p.shape) * 0.5)
    model[2].weight.mul_(14.0)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
crit = nn.BCEWithLogitsLoss()
for epoch in range(20):
    for i in range(0, 64, 4):
        loss = crit(model(X[i:i+4]), y[i:i+4])
        if epoch == 0 and i == 0:
            print('initial loss', loss.item())
        opt.zero_grad(); loss.backward(); opt.step()
