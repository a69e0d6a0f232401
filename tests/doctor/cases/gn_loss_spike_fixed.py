# doctor: expect none
# glassnet: the glitchy-sensor regression with the gradient norm clipped to 1 before each step (the
# fixed twin of gn_loss_spike_bug.py).
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
    glassnet.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
print(loss.item())
