"""MAML (Finn et al. 2017), second order, on a tiny CNN: the inner loop's gradient is itself
differentiated by the outer (meta) update.

Follows dragen1860/MAML-Pytorch: learner.py's Learner (the weights in an nn.ParameterList built from
a config list, a functional forward(x, vars=None, bn_training=True) over F.conv2d, F.batch_norm
with running statistics held as Parameters with requires_grad=False, F.relu, F.max_pool2d, a
flatten view and F.linear) and meta.py's Meta.forward (per task: F.cross_entropy on the support
set, torch.autograd.grad of it, fast_weights = list(map(lambda p: p[1] - update_lr * p[0], ...)),
the query loss and accuracy before and after each update under torch.no_grad(), the last query
loss averaged over the tasks and backward() into an Adam meta-optimizer).  Changed: grad is taken
with create_graph=True, as in the original MAML and in betty's maml() hypergradient
(leopard-ai/betty, create_graph=not first_order), so the meta-gradient is second order; the
blocks run conv, bn, relu, max_pool (the MAML paper's order); the sizes are tiny; weights and
images come from formulas instead of kaiming_normal_ and Omniglot.

The meta-gradient needs double backward through Conv2d, batch norm, ReLU, MaxPool2d, Linear and
cross_entropy."""
import numpy as np
import torch
from torch import nn, optim
from torch.nn import functional as F


class Learner(nn.Module):
    def __init__(self, config):
        super(Learner, self).__init__()
        self.config = config
        # this list contains all tensors needed to be optimized
        self.vars = nn.ParameterList()
        # running_mean and running_var
        self.vars_bn = nn.ParameterList()
        for i, (name, param) in enumerate(self.config):
            if name == 'conv2d':
                # [ch_out, ch_in, kernelsz, kernelsz]
                n = int(np.prod(param[:4]))
                w = nn.Parameter(torch.sin(torch.arange(n, dtype=torch.float32) * 1.1 + i).reshape(*param[:4]) * 0.6)
                self.vars.append(w)
                self.vars.append(nn.Parameter(torch.zeros(param[0])))
            elif name == 'linear':
                w = nn.Parameter(torch.cos(torch.arange(param[0] * param[1], dtype=torch.float32) * 0.7 + i).reshape(*param) * 0.5)
                self.vars.append(w)
                self.vars.append(nn.Parameter(torch.zeros(param[0])))
            elif name == 'bn':
                self.vars.append(nn.Parameter(torch.ones(param[0])))
                self.vars.append(nn.Parameter(torch.zeros(param[0])))
                # must set requires_grad=False
                running_mean = nn.Parameter(torch.zeros(param[0]), requires_grad=False)
                running_var = nn.Parameter(torch.ones(param[0]), requires_grad=False)
                self.vars_bn.extend([running_mean, running_var])
            elif name in ['relu', 'max_pool2d', 'flatten']:
                continue
            else:
                raise NotImplementedError

    def forward(self, x, vars=None, bn_training=True):
        if vars is None:
            vars = self.vars
        idx = 0
        bn_idx = 0
        for name, param in self.config:
            if name == 'conv2d':
                w, b = vars[idx], vars[idx + 1]
                x = F.conv2d(x, w, b, stride=param[4], padding=param[5])
                idx += 2
            elif name == 'linear':
                w, b = vars[idx], vars[idx + 1]
                x = F.linear(x, w, b)
                idx += 2
            elif name == 'bn':
                w, b = vars[idx], vars[idx + 1]
                running_mean, running_var = self.vars_bn[bn_idx], self.vars_bn[bn_idx + 1]
                x = F.batch_norm(x, running_mean, running_var, weight=w, bias=b, training=bn_training)
                idx += 2
                bn_idx += 2
            elif name == 'flatten':
                x = x.view(x.size(0), -1)
            elif name == 'relu':
                x = F.relu(x, inplace=param[0])
            elif name == 'max_pool2d':
                x = F.max_pool2d(x, param[0], param[1], param[2])
        # make sure variable is used properly
        assert idx == len(vars)
        assert bn_idx == len(self.vars_bn)
        return x

    def parameters(self):
        return self.vars


n_way, k_spt, k_qry, task_num, imgsz = 3, 2, 2, 2, 8
update_lr, meta_lr, update_step = 0.4, 1e-3, 2
config = [
    ('conv2d', [4, 1, 3, 3, 1, 1]),
    ('bn', [4]),
    ('relu', [True]),
    ('max_pool2d', [2, 2, 0]),
    ('conv2d', [4, 4, 3, 3, 1, 1]),
    ('bn', [4]),
    ('relu', [True]),
    ('max_pool2d', [2, 2, 0]),
    ('flatten', []),
    ('linear', [n_way, 4 * 2 * 2]),
]
net = Learner(config)
meta_optim = optim.Adam(net.parameters(), lr=meta_lr)


def images(task, count, phase):
    """count images of each of the n_way classes: class c is a stripe pattern of its own frequency."""
    r = torch.arange(imgsz, dtype=torch.float32)
    xs, ys = [], []
    for c in range(n_way):
        for k in range(count):
            shift = 0.37 * k + 0.91 * task + phase
            xs.append(torch.sin(r[:, None] * (0.5 + 0.45 * c) + shift) * torch.cos(r[None, :] * (0.3 + 0.2 * c) - shift))
            ys.append(c)
    return torch.stack(xs).unsqueeze(1), torch.tensor(ys)


def meta_step(x_spt, y_spt, x_qry, y_qry):
    querysz = x_qry.size(1)
    losses_q = [0 for _ in range(update_step + 1)]
    corrects = [0 for _ in range(update_step + 1)]
    for i in range(task_num):
        # 1. run the i-th task and compute loss for k=0
        logits = net(x_spt[i], vars=None, bn_training=True)
        loss = F.cross_entropy(logits, y_spt[i])
        grad = torch.autograd.grad(loss, net.parameters(), create_graph=True)
        fast_weights = list(map(lambda p: p[1] - update_lr * p[0], zip(grad, net.parameters())))

        # this is the loss and accuracy before first update
        with torch.no_grad():
            logits_q = net(x_qry[i], net.parameters(), bn_training=True)
            loss_q = F.cross_entropy(logits_q, y_qry[i])
            losses_q[0] += loss_q
            pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
            corrects[0] = corrects[0] + torch.eq(pred_q, y_qry[i]).sum().item()

        # the loss after the first update, kept in the graph for the meta-gradient
        logits_q = net(x_qry[i], fast_weights, bn_training=True)
        loss_q = F.cross_entropy(logits_q, y_qry[i])
        losses_q[1] += loss_q
        with torch.no_grad():
            pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
            corrects[1] = corrects[1] + torch.eq(pred_q, y_qry[i]).sum().item()

        for k in range(1, update_step):
            # 1. run the i-th task and compute loss for k=1~K-1
            logits = net(x_spt[i], fast_weights, bn_training=True)
            loss = F.cross_entropy(logits, y_spt[i])
            # 2. compute grad on theta_pi
            grad = torch.autograd.grad(loss, fast_weights, create_graph=True)
            # 3. theta_pi = theta_pi - train_lr * grad
            fast_weights = list(map(lambda p: p[1] - update_lr * p[0], zip(grad, fast_weights)))

            logits_q = net(x_qry[i], fast_weights, bn_training=True)
            loss_q = F.cross_entropy(logits_q, y_qry[i])
            losses_q[k + 1] += loss_q
            with torch.no_grad():
                pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                corrects[k + 1] = corrects[k + 1] + torch.eq(pred_q, y_qry[i]).sum().item()

    # end of all tasks: the last step's query loss, averaged over the tasks
    loss_q = losses_q[-1] / task_num
    meta_optim.zero_grad()
    loss_q.backward()
    meta_grad_norm = torch.cat([p.grad.reshape(-1) for p in net.parameters()]).norm()
    meta_optim.step()
    accs = np.array(corrects) / (querysz * task_num)
    return [round(float(l.detach()) / task_num, 4) for l in losses_q], accs, meta_grad_norm


for step in range(3):
    spt = [images(t + 3 * step, k_spt, 0.0) for t in range(task_num)]
    qry = [images(t + 3 * step, k_qry, 0.5) for t in range(task_num)]
    x_spt, y_spt = torch.stack([s[0] for s in spt]), torch.stack([s[1] for s in spt])
    x_qry, y_qry = torch.stack([q[0] for q in qry]), torch.stack([q[1] for q in qry])
    losses, accs, meta_grad_norm = meta_step(x_spt, y_spt, x_qry, y_qry)
    print(f"step {step}: query losses {losses}  accs {accs.tolist()}  |meta grad| {meta_grad_norm.item():.4f}")

print("conv1 weight grad:", [round(v, 4) for v in net.vars[0].grad.reshape(-1)[:5].tolist()])
print("bn1 weight grad:", [round(v, 4) for v in net.vars[2].grad.tolist()])
print("linear bias grad:", [round(v, 4) for v in net.vars[-1].grad.tolist()])
# (not printed: the running statistics.  A conv bias ahead of batch norm gets a gradient of rounding
# noise only, since the norm removes any per-channel shift; Adam scales that noise to ±meta_lr, so
# the biases, and the running means that see them, differ between any two libraries.)
