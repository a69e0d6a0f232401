"""Polynomial regression with SmoothL1Loss / HuberLoss, in the style of pytorch/examples'
regression: features by torch.cat of powers, Linear with copied weights, SGD."""
import torch
import torch.nn.functional as F

POLY_DEGREE = 4
W_target = torch.tensor([[0.5], [-1.2], [0.3], [0.8]], dtype=torch.float64)
b_target = torch.tensor([0.25], dtype=torch.float64)


def make_features(x):
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)
    result += "{:+.2f}".format(b[0])
    return result


x = torch.linspace(-1, 1, 32, dtype=torch.float64)
batch_x = make_features(x)
batch_y = f(batch_x)
batch_y[3] += 5.0  # an outlier: the robust losses barely move for it
print(batch_x.shape, batch_y.shape)

for name, loss_fn in (("smooth_l1", torch.nn.SmoothL1Loss()), ("huber", torch.nn.HuberLoss(delta=0.5)),
                      ("smooth_l1 beta=0.2", torch.nn.SmoothL1Loss(beta=0.2))):
    fc = torch.nn.Linear(W_target.size(0), 1).double()
    with torch.no_grad():
        fc.weight.fill_(0.1)
        fc.bias.fill_(0.0)
    for batch_idx in range(1, 400):
        output = loss_fn(fc(batch_x), batch_y)
        loss = output.item()
        fc.zero_grad()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
    print(name, "Loss: {:.6f} after {} batches".format(loss, batch_idx))
    print("==> Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias))
print("==> Actual function:\t" + poly_desc(W_target.view(-1), b_target))

d = torch.tensor([-3.0, -0.5, 0.0, 0.2, 2.0], dtype=torch.float64, requires_grad=True)
t = torch.zeros(5, dtype=torch.float64)
for reduction in ("none", "sum", "mean"):
    print(reduction, F.smooth_l1_loss(d, t, reduction=reduction, beta=1.0).detach(),
          F.huber_loss(d, t, reduction=reduction, delta=2.0).detach())
F.huber_loss(d, t, delta=0.4).backward()
print(d.grad)
