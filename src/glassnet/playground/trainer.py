"""One session's network, optimizer and points: a training step, a frame, a weight edit.

A :class:`Trainer` is used by one thread only (its session's), so grad mode and the
engine's observers, which are per thread, never mix between sessions.  The training step
is the seed's loop written with glassnet's PyTorch-shaped API::

    out = model(xb); loss = criterion(out, yb) + penalty
    optimizer.zero_grad(); loss.backward(); optimizer.step()
"""
from __future__ import annotations

import base64
import math
import time

import numpy as np

import glassnet

from . import points as D
from . import frames as F
from .protocol import Config, ProtocolError

from glassnet import nn, optim

ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}
DATA_FIELDS = {"problem", "dataset", "noise", "train_ratio", "n_points", "seed"}
NETWORK_FIELDS = {"features", "hidden", "activation", "loss"}
XOR_STEP = {  # seed 003: "XOR, step by step" -- trained weights of the 2-2-1 sigmoid network
    "weights": [[[5.0, 5.0], [5.0, 5.0]], [[10.0, -10.0]]],
    "biases": [[-2.5, -7.5], [-5.0]],
}


def encode_columns(values: np.ndarray) -> list:
    """One base64 heat map (see :func:`.frames.to_bytes`) per column of ``values`` (grid points x k)."""
    u8 = np.ascontiguousarray(F.to_bytes(values).T)
    return [base64.b64encode(row.tobytes()).decode("ascii") for row in u8]


def finite(x):
    """A float for JSON, or None for NaN/inf (JSON has no NaN)."""
    x = float(x)
    return x if math.isfinite(x) else None


class SessionTrainer:
    """What every page's trainer shares: mini-batches drawn without replacement from ``y_train``,
    epoch after epoch, in an order from the session's own ``batch_rng`` (needs ``order``,
    ``cursor``, ``cfg.batch_size``), and rebuilding only what changed controls touch."""

    #: seconds between two recordings of a frame's heavier views (an explain recording) while
    #: playing; the session sets it from how many tabs share its process (0: every frame)
    record_every = 0.0
    #: in a crowd, recordings (the views, the warnings) are spread this many times further apart
    #: (a page whose recording costs more than a frame's share sets it above 1)
    record_scale = 1.0
    #: the evaluation's interval is multiplied by this (the session sets it in a crowd)
    eval_scale = 1.0
    #: how many sessions of the process are training (the session sets it before each frame)
    crowd = 1
    #: set by the session while it draws the frame that answers a change during training: reuse
    #: the evaluation and the recorded views when they show the same model, do nothing merely due
    quick = False
    #: set by the session before each frame: {array name: version} of the arrays the page holds
    #: (a page whose frames list their arrays leaves out those unchanged; see ``frames.Versions``)
    page_arrays: dict = {}
    #: set by such a frame: {array name: version} of the arrays the page holds once it has it
    frame_arrays: dict = {}
    _recorded = None

    def unfinished(self) -> bool:
        """Whether paused frames still have work to show, a part per frame (the Text page's sample)."""
        return False

    def recorded(self, playing: bool, make, key=()):
        """``make()`` (a frame's recorded views), or while playing the last one if it is younger than
        ``record_every`` s (or the frame is ``quick``) and ``key`` (the objects the views show: the
        model, the selection) holds the same objects; (views, the step they were recorded at).
        Paused, it records now."""
        now = time.perf_counter()
        c = self._recorded
        same = c is not None and len(c[3]) == len(key) and all(a is b for a, b in zip(c[3], key))
        if not same or not (self.quick or (playing and now - c[0] < self.record_every)):
            self._recorded = c = (now, make(), self.steps, tuple(key))
        return c[1], c[2]

    def rebuild_for(self, changed: set, network_fields, data_fields=frozenset()) -> None:
        """The data, the network, the optimizer, or only the learning rate (``cfg`` is the new one)."""
        if changed & data_fields:
            self.rebuild_data()
        elif changed & network_fields:
            self.rebuild_network()
        elif "optimizer" in changed:
            self.rebuild_optimizer()
        else:
            for group in self.optimizer.param_groups:
                group["lr"] = self.cfg.learning_rate

    def reset(self) -> None:
        """A fresh network from the seed (same starting weights)."""
        self.rebuild_network()
        self.rev += 1

    def set_parameters(self, arrays) -> None:
        """Every parameter at once, in ``model.parameters()`` order (a share link's weights)."""
        with glassnet.no_grad():
            for p, a in zip(self.model.parameters(), arrays, strict=True):
                p.copy_(glassnet.tensor(a, dtype=glassnet.float32))
        self.parameters_set()
        self.rev += 1

    def parameters_set(self) -> None:
        """What a page recomputes after :meth:`set_parameters` (its cached evaluation, its sample)."""
        self.evaluation = None

    def note_loss(self, value: float) -> float:
        """Keep ``train_loss``, the smoothed training loss (0.9 old + 0.1 new; a non-finite loss at once)."""
        if math.isfinite(value) and self.train_loss is not None:
            self.train_loss = 0.9 * self.train_loss + 0.1 * value
        else:
            self.train_loss = value
        return value

    def _next_batch(self) -> np.ndarray:
        n = len(self.y_train)
        b = min(self.cfg.batch_size, n)
        if self.cursor + b > len(self.order):
            rest = self.order[self.cursor:]
            self.order = np.concatenate([rest, self.batch_rng.permutation(n)])
            self.cursor = 0
        idx = self.order[self.cursor:self.cursor + b]
        self.cursor += b
        return idx


class Trainer(SessionTrainer):
    """The model, optimizer, points and counters of one session."""

    def __init__(self, cfg: Config | None = None):
        self.cfg = cfg or Config()
        self.cfg.check()
        self.upload = None            # (name, text) of the last CSV
        self.rev = 0                  # bumped by every change the page should see
        self.rebuild_data()

    # -- building ------------------------------------------------------------------------
    def rebuild_data(self) -> None:
        self.points = D.make_points(self.cfg, self.upload)
        self.grid_x = D.grid(self.points.domain)
        self.rebuild_network()

    def rebuild_network(self) -> None:
        cfg = self.cfg
        names = cfg.features
        p = self.points
        self.x_train = D.features(p.x_train, names)
        self.x_test = D.features(p.x_test, names)
        self.y_train = p.y_train.reshape(-1, 1)
        self.y_test = p.y_test.reshape(-1, 1)
        self.grid_f = glassnet.tensor(D.features(self.grid_x, names))
        sizes = [len(names)] + list(cfg.hidden) + [1]
        self.sizes = sizes
        self.linears, self.acts, mods = [], [], []
        for i in range(len(sizes) - 1):
            lin = nn.Linear(sizes[i], sizes[i + 1])
            self.linears.append(lin)
            mods.append(lin)
            if i < len(sizes) - 2:
                act = getattr(nn, ACTIVATION_MODULES[cfg.activation])()
                self.acts.append(act)
                mods.append(act)
        self.model = nn.Sequential(*mods)
        self._init_weights()
        self.criterion = {"bce": nn.BCEWithLogitsLoss, "mse": nn.MSELoss, "l1": nn.L1Loss}[cfg.loss]()
        self.rebuild_optimizer()
        self.batch_rng = np.random.default_rng(cfg.seed + 104729)
        self.order = np.empty(0, dtype=np.int64)
        self.cursor = 0
        self.steps = 0
        self.examples = 0
        self.last_grads = None
        self.last_updates = None
        self.last_batch = None
        self.history = []

    def _init_weights(self) -> None:
        """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from the session's seed
        (not glassnet's global generator, which all sessions share)."""
        rng = np.random.default_rng(self.cfg.seed)
        with glassnet.no_grad():
            for lin in self.linears:
                bound = 1.0 / math.sqrt(lin.weight.shape[1])
                lin.weight.copy_(glassnet.tensor(rng.uniform(-bound, bound, tuple(lin.weight.shape)),
                                                 dtype=glassnet.float32))
                lin.bias.copy_(glassnet.tensor(rng.uniform(-bound, bound, tuple(lin.bias.shape)),
                                               dtype=glassnet.float32))

    def rebuild_optimizer(self) -> None:
        params = list(self.model.parameters())
        lr = self.cfg.learning_rate
        name = self.cfg.optimizer
        if name == "sgd":
            self.optimizer = optim.SGD(params, lr=lr)
        elif name == "momentum":
            self.optimizer = optim.SGD(params, lr=lr, momentum=0.9)
        elif name == "adam":
            self.optimizer = optim.Adam(params, lr=lr)
        else:
            self.optimizer = optim.RMSprop(params, lr=lr)

    # -- changing the set-up -------------------------------------------------------------
    def apply(self, patch: dict) -> None:
        """Apply changed controls; rebuild only what they touch (data, network, optimizer)."""
        patch = {k: v for k, v in patch.items() if v is not None}
        if "problem" in patch and patch["problem"] != self.cfg.problem:
            if "dataset" not in patch:
                patch["dataset"] = "circle" if patch["problem"] == "classification" else "plane"
            if "loss" not in patch:
                patch["loss"] = "bce" if patch["problem"] == "classification" else "mse"
        new = self.cfg.model_copy(update=patch)
        new = Config.model_validate(new.model_dump())     # re-run every field rule
        new.check()
        if new.dataset == "csv":
            if self.upload is None:
                raise ProtocolError("no CSV uploaded yet: upload one first, or pick another data set")
            D.parse_csv(self.upload[1], new.problem)     # the labels must suit the (new) problem
        changed = {k for k in patch if getattr(self.cfg, k) != getattr(new, k)}
        old, self.cfg = self.cfg, new
        try:
            self.rebuild_for(changed, NETWORK_FIELDS, DATA_FIELDS)
        except Exception:
            self.cfg = old
            self.rebuild_data()
            raise
        self.rev += 1

    def load_csv(self, name: str, text: str) -> None:
        D.parse_csv(text, self.cfg.problem)          # raises a ProtocolError naming what is wrong
        old = (self.cfg, self.upload)
        self.upload = (name, text)
        self.cfg = self.cfg.model_copy(update={"dataset": "csv"})
        try:
            self.rebuild_data()
        except Exception:
            self.cfg, self.upload = old
            raise
        self.rev += 1

    def preset_xor_step(self) -> None:
        """The seed's XOR network: 2-2-1, sigmoid, BCE, SGD with lr 1 on the four truth-table points."""
        self.cfg = Config(problem="classification", dataset="xor_table", features=["x1", "x2"], hidden=[2],
                          activation="sigmoid", loss="bce", optimizer="sgd", learning_rate=1.0, batch_size=4,
                          regularization="none", reg_rate=0.0, seed=self.cfg.seed, show_test=False)
        self.rebuild_data()
        with glassnet.no_grad():
            for lin, w, b in zip(self.linears, XOR_STEP["weights"], XOR_STEP["biases"]):
                lin.weight.copy_(glassnet.tensor(w))
                lin.bias.copy_(glassnet.tensor(b))
        self.rev += 1

    def set_weight(self, layer: int, row: int, col, value: float) -> None:
        if layer >= len(self.linears):
            raise ProtocolError(f"layer {layer} does not exist; the network has {len(self.linears)} layers "
                                f"of weights (0..{len(self.linears) - 1})")
        lin = self.linears[layer]
        rows, cols = lin.weight.shape
        if row >= rows or (col is not None and col >= cols):
            raise ProtocolError(f"weight [{row}, {col}] is outside layer {layer}'s weight of shape "
                                f"({rows}, {cols})")
        with glassnet.no_grad():
            if col is None:
                lin.bias[row] = float(value)
            else:
                lin.weight[row, col] = float(value)
        self.last_updates = None
        self.rev += 1

    def parameters_set(self) -> None:
        self.last_grads = self.last_updates = None

    # -- training -------------------------------------------------------------------------
    def penalty(self, linears=None):
        """L1: rate * sum|w|; L2: rate * sum(w^2) / 2 (weights only, not biases, as in TensorFlow's)."""
        kind, rate = self.cfg.regularization, self.cfg.reg_rate
        if kind == "none" or rate == 0:
            return None
        total = None
        for lin in self.linears if linears is None else linears:
            term = lin.weight.abs().sum() if kind == "l1" else (lin.weight * lin.weight).sum() * 0.5
            total = term if total is None else total + term
        return total * rate

    def data_loss(self, out, y):
        if self.cfg.problem == "classification" and self.cfg.loss == "mse":
            out = out.sigmoid()
        return self.criterion(out, y)

    def train_step(self) -> float:
        idx = self._next_batch()
        self.last_batch = idx
        xb = glassnet.tensor(self.x_train[idx])
        yb = glassnet.tensor(self.y_train[idx])
        loss = self.data_loss(self.model(xb), yb)
        pen = self.penalty()
        total = loss if pen is None else loss + pen
        self.optimizer.zero_grad()
        total.backward()
        params = list(self.model.parameters())
        before = [p.array.copy() for p in params]
        self.optimizer.step()
        self.last_grads = [None if p.grad is None else p.grad.array.copy() for p in params]
        self.last_updates = [p.array - b for p, b in zip(params, before)]
        self.steps += 1
        self.examples += len(idx)
        return float(loss.item())

    def finite_parameters(self) -> bool:
        return all(np.isfinite(p.array).all() for p in self.model.parameters())

    @property
    def epoch(self) -> int:
        return self.examples // max(1, len(self.y_train))

    # -- what the page shows ---------------------------------------------------------------
    def predict(self, out: np.ndarray) -> np.ndarray:
        """The network's output as the page colours it, in [-1, 1]."""
        if self.cfg.problem == "classification":
            return 2.0 / (1.0 + np.exp(-out.astype(np.float64))) - 1.0
        return out / self.points.label_range[1]

    def evaluate(self, x: np.ndarray, y: np.ndarray):
        if len(y) == 0:
            return None
        with glassnet.no_grad():
            return finite(self.data_loss(self.model(glassnet.tensor(x)), glassnet.tensor(y)).item())

    def frame(self, **extra) -> bytes:
        """Losses, weights (with last gradient and update) and every heat map, as one binary frame
        (:mod:`.frames`); ``extra`` goes into its header (playing, ack, steps/s)."""
        grid = D.GRID
        maps, out = [], None
        with glassnet.no_grad():
            h = self.grid_f
            for i, lin in enumerate(self.linears):
                h = lin(h)
                if i < len(self.acts):
                    h = self.acts[i](h)
                    maps.append(F.downsample(h.array, grid, D.NEURON_FACTOR))
            out = h.array[:, 0]
        train_loss = self.evaluate(self.x_train, self.y_train)
        test_loss = self.evaluate(self.x_test, self.y_test)
        floats = [a for lin in self.linears for a in (lin.weight.array, lin.bias.array)]
        has = {}
        for key, src in (("g", self.last_grads), ("u", self.last_updates)):
            has[key] = src is not None and all(a is not None for a in src)
            if has[key]:
                floats += list(src)
        self.history.append((self.steps, train_loss, test_loss))
        if len(self.history) > 400:          # keep every other point: bounded, whole run visible
            self.history = self.history[::2]
        header = {"type": "frame", "rev": self.rev, "step": self.steps, "epoch": self.epoch,
                  "train_loss": train_loss, "test_loss": test_loss, "sizes": self.sizes,
                  "has_g": has["g"], "has_u": has["u"], "grid": grid, "ngrid": grid // D.NEURON_FACTOR}
        header.update(extra)
        return F.encode(header, floats, [F.to_bytes(self.predict(out))] + [F.to_bytes(m) for m in maps])

    def state(self) -> dict:
        """The config, the points and the input-feature maps (sent after every change)."""
        feats = D.features(self.grid_x, self.cfg.features)
        scale = np.maximum(np.abs(feats).max(axis=0), 1e-9)
        return {"type": "state", "rev": self.rev, "config": self.cfg.model_dump(), "sizes": self.sizes,
                "points": self.points.as_json(), "upload_name": self.upload and self.upload[0],
                "input_maps": encode_columns(feats / scale),
                "history": [list(h) for h in self.history]}
