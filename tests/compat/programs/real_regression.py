#!/usr/bin/env python
"""Source: pytorch/examples, regression/main.py (fit a degree-4 polynomial with one nn.Linear:
make_features with torch.cat of powers, f() with x.mm and b_target.item(), poly_desc formatting
0-d tensors with '{:+.2f}', F.smooth_l1_loss, fc.zero_grad(), the update on param.data, the
`for batch_idx in count(1)` loop until the loss is below 1e-3), as written in its current
form (`param.data.add_(-0.1 * param.grad)`; the stored older version's `param.add_` on a leaf
raises in torch).
Changed: nothing is shrunk.  W_target, b_target and every batch come from torch.randn, which
differs between torch and glassnet, so the final loss, the batch count and the two functions
are printed by range (the loss below 1e-3, the learned coefficients within 0.5 of the actual).
Harness (not the example's): the same functions with a formula target, formula batches and
a formula init, 60 steps; the losses and poly_desc lines are compared in full."""
from __future__ import print_function
from itertools import count

import torch
import torch.nn.functional as F

POLY_DEGREE = 4
W_target = torch.randn(POLY_DEGREE, 1) * 5
b_target = torch.randn(1) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE+1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = 'y = '
    for i, w in enumerate(W):
        result += '{:+.2f} x^{} '.format(w, i + 1)
    result += '{:+.2f}'.format(b[0])
    return result


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = torch.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


# Define model
fc = torch.nn.Linear(W_target.size(0), 1)

for batch_idx in count(1):
    # Get data
    batch_x, batch_y = get_batch()

    # Reset gradients
    fc.zero_grad()

    # Forward pass
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()

    # Backward pass
    output.backward()

    # Apply gradients
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)

    # Stop criterion
    if loss < 1e-3:
        break

# printed by range (the random stream differs between engines)
print('Loss < 1e-3: {} after {} batches'.format(loss < 1e-3, 'some' if batch_idx > 0 else 'no'))
learned, actual = poly_desc(fc.weight.view(-1), fc.bias), poly_desc(W_target.view(-1), b_target)
print('==> Learned function within 0.5 of the actual:',
      all(abs(float(a) - float(b)) < 0.5 for a, b in zip(learned.split()[2::2], actual.split()[2::2])),
      learned[:4], len(learned.split()))

# harness: a formula target, formula batches, a formula init
W_target = torch.tensor([[1.5], [-2.0], [0.5], [0.25]])
b_target = torch.tensor([0.75])
fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.copy_(torch.tensor([[0.1, -0.2, 0.3, -0.4]]))
    fc.bias.fill_(0.05)
for batch_idx in count(1):
    batch_x = make_features(torch.sin(torch.arange(32.) * 0.7 + batch_idx))
    batch_y = f(batch_x)
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)
    if batch_idx % 15 == 0:
        print(batch_idx, round(loss, 6), poly_desc(fc.weight.view(-1), fc.bias))
    if batch_idx == 60:
        break
print('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
