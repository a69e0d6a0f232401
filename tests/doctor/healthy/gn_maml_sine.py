# doctor: expect none
# MAML on sine-wave regression (Finn et al. 2017, the form of dragen1860/MAML-Pytorch's meta.py
# and learn2learn's examples): a functional forward on a list of weights, inner steps with
# torch.autograd.grad(create_graph=True) (which writes no .grad), then the meta-optimizer's
# zero_grad(), the outer loss's backward() and step().
import math

import glassnet as torch
import glassnet.nn.functional as F

torch.manual_seed(0)
params = []
for n_in, n_out in ((1, 40), (40, 40), (40, 1)):
    w = torch.empty(n_out, n_in)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    params += [torch.nn.Parameter(w), torch.nn.Parameter(torch.zeros(n_out))]
meta_optim = torch.optim.Adam(params, lr=3e-3)


def forward(x, weights):
    x = F.relu(F.linear(x, weights[0], weights[1]))
    x = F.relu(F.linear(x, weights[2], weights[3]))
    return F.linear(x, weights[4], weights[5])


def task(n):
    amplitude, phase = torch.empty(1).uniform_(0.1, 5.0), torch.empty(1).uniform_(0, math.pi)
    x = torch.empty(2 * n, 1).uniform_(-5, 5)
    y = amplitude * torch.sin(x + phase)
    return x[:n], y[:n], x[n:], y[n:]


inner_lr, tasks_per_batch = 0.01, 16  # the paper's sine runs use 25 tasks
for iteration in range(250):
    meta_loss = 0.0
    for _ in range(tasks_per_batch):
        x_spt, y_spt, x_qry, y_qry = task(10)
        fast_weights = list(params)
        for _ in range(2):
            loss = F.mse_loss(forward(x_spt, fast_weights), y_spt)
            grad = torch.autograd.grad(loss, fast_weights, create_graph=True)
            fast_weights = [w - inner_lr * g for w, g in zip(fast_weights, grad)]
        meta_loss = meta_loss + F.mse_loss(forward(x_qry, fast_weights), y_qry)
    meta_loss = meta_loss / tasks_per_batch
    meta_optim.zero_grad()
    meta_loss.backward()
    meta_optim.step()
    if iteration % 50 == 0:
        print(f"iteration {iteration}: meta loss {meta_loss.item():.3f}")
