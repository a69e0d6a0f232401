# doctor: expect exploding-gradient
# glassnet twin of loss_spike_bug.py: a regression MLP trained with plain SGD on sensor data
# with rare glitches (0.3% of the rows read 25× too large). A batch that holds one gives a
# gradient hundreds of times the usual: the loss spikes far above where training started and
# then recovers, again and again.
# Nothing bounds the update (no gradient clipping).
import glassnet
from glassnet import nn

glassnet.manual_seed(2)
n = 4096
X = glassnet.randn(n, 8)
y = X @ glassnet.randn(8, 1) + 0.1 * glassnet.randn(n, 1)
glitch = glassnet.rand(n) < 0.003
X[glitch] *= 25
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = glassnet.optim.SGD(model.parameters(), lr=0.005)
for step in range(200):
    idx = glassnet.randint(0, n, (64,))
    loss = nn.functional.mse_loss(model(X[idx]), y[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
