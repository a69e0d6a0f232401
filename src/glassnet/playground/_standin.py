"""TEMPORARY stand-in for glassnet.nn / glassnet.optim until they land (delete then)."""
from __future__ import annotations

import numpy as np

import glassnet as g


class Module:
    def __init__(self):
        self._params = {}
        self._children = {}

    def __setattr__(self, k, v):
        if isinstance(v, g.Tensor) and v.requires_grad:
            self.__dict__.setdefault("_params", {})[k] = v
        if isinstance(v, Module):
            self.__dict__.setdefault("_children", {})[k] = v
        object.__setattr__(self, k, v)

    def __call__(self, *a):
        return self.forward(*a)

    def named_parameters(self, prefix=""):
        for k, p in self._params.items():
            yield prefix + k, p
        for k, c in self._children.items():
            yield from c.named_parameters(prefix + k + ".")

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def state_dict(self):
        return {k: g.tensor(p.array.copy()) for k, p in self.named_parameters()}

    def load_state_dict(self, sd):
        with g.no_grad():
            for k, p in self.named_parameters():
                p.copy_(sd[k])


class Linear(Module):
    def __init__(self, i, o):
        super().__init__()
        self.in_features, self.out_features = i, o
        self.weight = g.tensor(np.zeros((o, i), np.float32), requires_grad=True)
        self.bias = g.tensor(np.zeros(o, np.float32), requires_grad=True)

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Sequential(Module):
    def __init__(self, *mods):
        super().__init__()
        for i, m in enumerate(mods):
            setattr(self, str(i), m)
        self._list = list(mods)

    def __getitem__(self, i):
        return self._list[i]

    def __iter__(self):
        return iter(self._list)

    def forward(self, x):
        for m in self._list:
            x = m(x)
        return x


class _Act(Module):
    f = None

    def forward(self, x):
        return getattr(x, self.f)() if self.f else x


class ReLU(_Act): f = "relu"
class Tanh(_Act): f = "tanh"
class Sigmoid(_Act): f = "sigmoid"
class Identity(_Act): f = None


class MSELoss(Module):
    def forward(self, a, b):
        return ((a - b) ** 2).mean()


class L1Loss(Module):
    def forward(self, a, b):
        return (a - b).abs().mean()


class BCEWithLogitsLoss(Module):
    def forward(self, z, y):
        return (z.relu() - z * y + ((-z.abs()).exp() + 1).log()).mean()


class _Opt:
    def __init__(self, params, **d):
        self.param_groups = [dict(params=list(params), **d)]
        self.state = {}

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def state_dict(self):
        return {"state": {i: {k: (v.copy() if hasattr(v, "copy") else v) for k, v in s.items()}
                          for i, s in self.state.items()},
                "param_groups": [{k: v for k, v in self.param_groups[0].items() if k != "params"}]}

    def load_state_dict(self, sd):
        self.state = {i: dict(s) for i, s in sd["state"].items()}
        self.param_groups[0].update(sd["param_groups"][0])

    def step(self):
        grp = self.param_groups[0]
        for i, p in enumerate(grp["params"]):
            if p.grad is not None:
                s = self.state.setdefault(i, {})
                p._inplace("step", self._new(p.array, p.grad.array, s, grp).astype(p.array.dtype))


class SGD(_Opt):
    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr=lr, momentum=momentum)

    def _new(self, w, gr, s, grp):
        if grp["momentum"]:
            b = s.get("momentum_buffer")
            b = gr.copy() if b is None else grp["momentum"] * b + gr
            s["momentum_buffer"] = b
            gr = b
        return w - grp["lr"] * gr


class Adam(_Opt):
    def __init__(self, params, lr):
        super().__init__(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def _new(self, w, gr, s, grp):
        b1, b2 = grp["betas"]
        t = s["step"] = s.get("step", 0) + 1
        m = s["exp_avg"] = b1 * s.get("exp_avg", 0) + (1 - b1) * gr
        v = s["exp_avg_sq"] = b2 * s.get("exp_avg_sq", 0) + (1 - b2) * gr * gr
        return w - grp["lr"] * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + grp["eps"])


class RMSprop(_Opt):
    def __init__(self, params, lr):
        super().__init__(params, lr=lr, alpha=0.99, eps=1e-8)

    def _new(self, w, gr, s, grp):
        v = s["square_avg"] = grp["alpha"] * s.get("square_avg", 0) + (1 - grp["alpha"]) * gr * gr
        return w - grp["lr"] * gr / (np.sqrt(v) + grp["eps"])


class _NS:
    pass


nn = _NS()
for _c in (Module, Linear, Sequential, ReLU, Tanh, Sigmoid, Identity, MSELoss, L1Loss, BCEWithLogitsLoss):
    setattr(nn, _c.__name__, _c)
optim = _NS()
for _c in (SGD, Adam, RMSprop):
    setattr(optim, _c.__name__, _c)


class _Datasets:
    """Stand-in two-class generators (TF Playground shapes; the seed's spiral)."""

    @staticmethod
    def circle(n, noise=0.0, seed=0):
        r = np.random.default_rng(seed)
        k = n // 2
        rad = np.concatenate([r.uniform(0, 2.5, k), r.uniform(3.5, 5, n - k)])
        ang = r.uniform(0, 2 * np.pi, n)
        x = np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1) + r.uniform(-5, 5, (n, 2)) * noise
        return x, (np.arange(n) >= k).astype(np.float32)

    @staticmethod
    def xor(n, noise=0.0, seed=0):
        r = np.random.default_rng(seed)
        x = r.uniform(-5, 5, (n, 2))
        x += np.sign(x) * 0.3
        y = (x[:, 0] * x[:, 1] >= 0).astype(np.float32)
        return x + r.uniform(-5, 5, (n, 2)) * noise, y

    @staticmethod
    def gaussian(n, noise=0.0, seed=0):
        r = np.random.default_rng(seed)
        k = n // 2
        s = 0.5 + 3.5 * noise
        x = np.concatenate([r.normal(2, s, (k, 2)), r.normal(-2, s, (n - k, 2))])
        return x, (np.arange(n) < k).astype(np.float32)

    @staticmethod
    def spiral(n, noise=0.0, seed=0):
        r = np.random.default_rng(seed)
        k = n // 2
        th = np.linspace(0, 4 * np.pi, k)
        rad = np.linspace(0.5, 2, k)
        a = np.stack([rad * np.cos(th), rad * np.sin(th)], 1) + r.normal(0, 1, (k, 2)) * noise
        b = np.stack([rad * np.cos(th + np.pi), rad * np.sin(th + np.pi)], 1) + r.normal(0, 1, (k, 2)) * noise
        return np.concatenate([a, b]), np.concatenate([np.zeros(k), np.ones(k)]).astype(np.float32)

    @staticmethod
    def moons(n, noise=0.0, seed=0):
        r = np.random.default_rng(seed)
        k = n // 2
        t = np.linspace(0, np.pi, k)
        a = np.stack([np.cos(t), np.sin(t)], 1)
        b = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
        x = np.concatenate([a, b]) + r.normal(0, 1, (2 * k, 2)) * noise
        return x, np.concatenate([np.zeros(k), np.ones(k)]).astype(np.float32)


datasets = _Datasets()
