"""The Images page's session state: scikit-learn's 8×8 digits, the learner's drawings, a small CNN.

An :class:`ImagesTrainer` is used by its session's thread only.  Its training step is the
loop a learner writes::

    loss = F.cross_entropy(model(xb), yb)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

and every frame records the current digit through ``glassnet.explain.record`` (on a copy of the
model, the session unchanged): the feature maps of every conv layer and the saliency come from
that recording, the kernels are the model's weights.  A frame is one binary message
(``frames.encode``) whose header lists its float32 arrays (``arrays``: [[name, shape], ...])::

    input (8, 8) · probs (10,) · saliency (8, 8) · for each conv layer l: kernels{l} (O, C, k, k),
    maps{l} (O, H, W) · params (every parameter, ``model.parameters()`` order: a share link's weights)

``frames.decode_arrays`` reads one back.
"""
from __future__ import annotations

import base64
import copy
import math
import time

import numpy as np

import glassnet
from glassnet import nn, optim

from . import frames as F
from .images_protocol import CLASSES, SIDE, ImagesConfig, ImagesLimits
from .protocol import ProtocolError
from .trainer import SessionTrainer

ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOL_MODULES = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
NETWORK_FIELDS = {"channels", "kernel_size", "pooling", "activation", "seed"}
TEST_SHARE = 0.2          # of the 1,797 digits, held out (the same split for every session)
EVAL_EVERY = 0.5          # seconds between two test evaluations while training


def load_digits():
    """(X (N, 1, 8, 8) float32 in [0, 1], y (N,) int64): scikit-learn's digits, pixels / 16."""
    from glassnet.data.datasets import load_arrays
    X, y = load_arrays("digits")
    return (np.asarray(X, dtype=np.float32) / 16.0).reshape(-1, 1, SIDE, SIDE), np.asarray(y, dtype=np.int64)


_DIGITS = None


def digits_split():
    """The digits, split once (seed 0) into train and test: (x_train, y_train, x_test, y_test)."""
    global _DIGITS
    if _DIGITS is None:
        X, y = load_digits()
        order = np.random.default_rng(0).permutation(len(y))
        n_test = int(round(TEST_SHARE * len(y)))
        test, train = order[:n_test], order[n_test:]
        _DIGITS = (X[train], y[train], X[test], y[test])
    return _DIGITS


def build_model(cfg: ImagesConfig):
    """``[Conv2d → activation → pooling] × len(channels) → Flatten → Linear(…, 10)`` and the
    Sequential index of each conv layer."""
    mods, convs, cin, side = [], [], 1, SIDE
    for ch in cfg.channels:
        convs.append(len(mods))
        mods += [nn.Conv2d(cin, ch, cfg.kernel_size, padding=cfg.kernel_size // 2),
                 ACTIVATION_MODULES[cfg.activation]()]
        if cfg.pooling != "none" and side >= 2:
            mods.append(POOL_MODULES[cfg.pooling](2))
            side //= 2
        cin = ch
    mods += [nn.Flatten(), nn.Linear(cin * side * side, CLASSES)]
    return nn.Sequential(*mods), convs


def make_optimizer(name: str, params, lr: float):
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.RMSprop(params, lr=lr)


def pixels_u8(x: np.ndarray) -> str:
    """Images in [0, 1] as base64 bytes 0..255 (the page's thumbnails)."""
    return base64.b64encode(np.rint(np.clip(x, 0, 1) * 255).astype(np.uint8).tobytes()).decode("ascii")


class ImagesTrainer(SessionTrainer):
    """The CNN, its optimizer, the digits and drawings, the current digit and the counters."""

    def __init__(self, cfg: ImagesConfig | None = None):
        self.cfg = cfg or ImagesConfig()
        self.x_digits, self.y_digits, self.x_test, self.y_test = digits_split()
        self.drawings = []            # [(pixels (1, 8, 8), label)]
        self.current = ("test", 0)    # ("train"|"test", index) or ("drawing", pixels (1, 8, 8))
        self.rev = 0
        self._join_data()
        self.rebuild_network()

    # -- building ----------------------------------------------------------------------------
    def _join_data(self) -> None:
        if self.drawings:
            self.x_train = np.concatenate([self.x_digits, np.stack([d[0] for d in self.drawings])])
            self.y_train = np.concatenate([self.y_digits, np.array([d[1] for d in self.drawings])])
        else:
            self.x_train, self.y_train = self.x_digits, self.y_digits

    def rebuild_network(self) -> None:
        self.model, self.convs = build_model(self.cfg)
        self._init_weights()
        self.criterion = nn.CrossEntropyLoss()
        self.rebuild_optimizer()
        self.batch_rng = np.random.default_rng(self.cfg.seed + 104729)
        self.order = np.empty(0, dtype=np.int64)
        self.cursor = self.steps = self.examples = 0
        self.last_batch = None
        self.train_loss = None
        self.history = []             # (step, train loss, test loss)
        self.evaluation = None
        self._evaluated_at = -1.0

    def _init_weights(self) -> None:
        """PyTorch's default init of Conv2d and Linear, U(−1/√fan_in, 1/√fan_in) for weights and
        biases, drawn from the session's seed (not glassnet's global generator, shared by all)."""
        rng = np.random.default_rng(self.cfg.seed)
        with glassnet.no_grad():
            for m in self.model:
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    bound = 1.0 / math.sqrt(int(np.prod(m.weight.shape[1:])))
                    for p in (m.weight, m.bias):
                        p.copy_(glassnet.tensor(rng.uniform(-bound, bound, tuple(p.shape)), dtype=glassnet.float32))

    def rebuild_optimizer(self) -> None:
        self.optimizer = make_optimizer(self.cfg.optimizer, list(self.model.parameters()), self.cfg.learning_rate)

    @property
    def conv_modules(self) -> list:
        return [self.model[i] for i in self.convs]

    def layer_label(self, module_path: str) -> str:
        """A module's path in the Sequential ("3") -> how the page names it ("conv layer 2")."""
        try:
            k = int(module_path.split(".")[0])
        except ValueError:
            return module_path
        if k >= len(self.model) - 1:
            return "the output layer"
        layer = sum(1 for c in self.convs if c <= k)
        return f"conv layer {layer}" + ("" if k in self.convs else f" ({type(self.model[k]).__name__})")

    # -- changing the set-up -------------------------------------------------------------------
    def apply(self, patch: dict) -> None:
        """Apply changed controls; rebuild only what they touch (network, optimizer)."""
        new = ImagesConfig.model_validate({**self.cfg.model_dump(), **patch})
        changed = {k for k in patch if getattr(self.cfg, k) != getattr(new, k)}
        self.cfg = new
        self.rebuild_for(changed, NETWORK_FIELDS)
        self.rev += 1

    def add_drawing(self, pixels, label: int) -> int:
        if len(self.drawings) >= ImagesLimits.max_drawings:
            raise ProtocolError(f"this session already has {ImagesLimits.max_drawings} drawings (the limit); "
                                f"reload the page to start again")
        image = np.asarray(pixels, dtype=np.float32).reshape(1, SIDE, SIDE)
        self.drawings.append((image, int(label)))
        self._join_data()
        self.current = ("drawing", image)
        self.rev += 1
        return len(self.drawings) - 1

    def select(self, split: str, index: int) -> None:
        sets = {"train": self.x_train, "test": self.x_test, "drawing": [d[0] for d in self.drawings]}
        if index >= len(sets[split]):
            raise ProtocolError(f"there is no {split} digit {index}; the {split} set has {len(sets[split])}")
        self.current = (split, int(index)) if split != "drawing" else ("drawing", self.drawings[index][0])

    def draw(self, pixels) -> None:
        self.current = ("drawing", np.asarray(pixels, dtype=np.float32).reshape(1, SIDE, SIDE))

    def current_digit(self):
        """(image (1, 8, 8), its label or None)."""
        split, what = self.current
        if split == "drawing":
            return what, None
        xs, ys = (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)
        return xs[what], int(ys[what])

    # -- training --------------------------------------------------------------------------
    def data_loss(self, out, y):
        return self.criterion(out, y)

    def train_step(self) -> float:
        idx = self._next_batch()
        self.last_batch = idx
        loss = self.criterion(self.model(glassnet.tensor(self.x_train[idx])), glassnet.tensor(self.y_train[idx]))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.examples += len(idx)
        return self.note_loss(float(loss.item()))

    def finite_parameters(self) -> bool:
        return all(np.isfinite(p.array).all() for p in self.model.parameters())

    @property
    def epoch(self) -> int:
        return self.examples // max(1, len(self.y_train))

    # -- what the page shows -----------------------------------------------------------------
    def evaluate(self, force: bool = False) -> dict:
        """Test loss, accuracy, confusion matrix and the misclassified test digits (every
        ``EVAL_EVERY`` s while training, or when ``force``)."""
        now = time.perf_counter()
        if self.evaluation is not None and (self.quick or not force and now - self._evaluated_at
                                            < EVAL_EVERY * self.eval_scale):
            return self.evaluation
        with glassnet.no_grad():
            out = self.model(glassnet.tensor(self.x_test))
            loss = float(self.criterion(out, glassnet.tensor(self.y_test)).item())
        pred = np.argmax(np.nan_to_num(out.array, nan=-np.inf), axis=1)
        matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        np.add.at(matrix, (self.y_test, pred), 1)
        wrong = np.flatnonzero(pred != self.y_test)
        self.evaluation = {"step": self.steps, "test_loss": loss if math.isfinite(loss) else None,
                           "test_accuracy": float(np.mean(pred == self.y_test)), "confusion": matrix.tolist(),
                           "wrong": [[int(i), int(pred[i])] for i in wrong]}
        self._evaluated_at = now
        self.history.append((self.steps, self.train_loss if self.train_loss is None or math.isfinite(self.train_loss)
                             else None, self.evaluation["test_loss"]))
        if len(self.history) > 400:
            self.history = self.history[::2]
        return self.evaluation

    def record_current(self, optimizer_step: bool = False):
        """One recorded step on the current digit (``glassnet.explain.record``), on a copy of the
        model (and optimizer): the session is not changed.  Its target is the digit's label, or
        for a drawing the class the network predicts.  Returns (recording, target)."""
        from glassnet.explain import record
        image, label = self.current_digit()
        model = copy.deepcopy(self.model)
        opt = None
        if optimizer_step:
            opt = make_optimizer(self.cfg.optimizer, list(model.parameters()), self.cfg.learning_rate)
            opt.load_state_dict(copy.deepcopy(self.optimizer.state_dict()))
        x = glassnet.tensor(image[None], requires_grad=True)
        if label is None:
            with glassnet.no_grad():
                label = int(np.argmax(self.model(glassnet.tensor(image[None])).array[0]))
        t = glassnet.tensor(np.array([label], dtype=np.int64))
        with record(model, opt, names={"x": x, "t": t}, title="One step of the Images page's CNN") as rec:
            loss = self.criterion(model(x), t)
            if opt is not None:
                opt.zero_grad()
            loss.backward()
            if opt is not None:
                opt.step()
        return rec, label

    def current_arrays(self, rec) -> list:
        """[(name, array)] of a frame, from a recording of the current digit."""
        from glassnet.explain.summary import conv_arrays
        convs = [op for op in rec.forward_ops if op.op == "ConvNd"]
        logits = next(op for op in rec.forward_ops if op.op == "Linear" and op.module == str(len(self.model) - 1))
        z = np.asarray(logits.output[0], dtype=np.float64)
        probs = np.exp(z - z.max())
        probs /= probs.sum()
        out = [("input", convs[0].input_values[0][0, 0]), ("probs", probs),
               ("saliency", np.abs(convs[0].grad_inputs[0][0, 0]) if convs[0].grad_inputs else np.zeros((SIDE, SIDE)))]
        for l, path in enumerate(self.convs):
            a = conv_arrays(rec, str(path))            # explain's: kernels before the step, maps after the activation
            out.append((f"kernels{l}", a["kernels"]))
            out.append((f"maps{l}", a["maps"]))
        out.append(("params", np.concatenate([p.array.ravel() for p in self.model.parameters()])))
        return out

    def frame(self, **extra) -> bytes:
        """One binary frame (see the module docstring); ``extra`` goes into its header."""
        ev = self.evaluate(force=not extra.get("playing", False))
        def views():
            rec, target = self.record_current()
            return self.current_arrays(rec), target
        (arrays, target), recorded_step = self.recorded(extra.get("playing", False), views, (self.model, self.current))
        arrays = arrays[:-1] + [("params", np.concatenate([p.array.ravel() for p in self.model.parameters()]))]
        image, label = self.current_digit()
        probs = arrays[1][1]
        header = {"type": "frame", "rev": self.rev, "step": self.steps, "epoch": self.epoch,
                  "train_loss": self.train_loss if self.train_loss is not None and math.isfinite(self.train_loss)
                  else None, **{k: ev[k] for k in ("test_loss", "test_accuracy", "confusion", "wrong")},
                  "evaluated_step": ev["step"], "recorded_step": recorded_step,
                  "current": {"split": self.current[0], "index": None if self.current[0] == "drawing"
                              else self.current[1], "label": label, "target": target,
                              "predicted": int(np.argmax(np.nan_to_num(probs, nan=-1)))},
                  "arrays": [[name, list(np.shape(a))] for name, a in arrays]}
        header.update(extra)
        return F.encode(header, [np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
                                 for _, a in arrays], [])

    def layers(self) -> list:
        """The conv layers as the page lists them: path, channels in/out, kernel, output side."""
        out, cin, side = [], 1, SIDE
        for l, (path, ch) in enumerate(zip(self.convs, self.cfg.channels)):
            out.append({"index": l, "path": str(path), "in_channels": cin, "out_channels": ch,
                        "kernel": self.cfg.kernel_size, "side": side})
            if self.cfg.pooling != "none" and side >= 2:
                side //= 2
            cin = ch
        return out

    def state(self) -> dict:
        return {"type": "state", "rev": self.rev, "config": self.cfg.model_dump(), "layers": self.layers(),
                "test": {"pixels": pixels_u8(self.x_test), "labels": self.y_test.tolist()},
                "drawings": [{"label": lab, "pixels": pixels_u8(img)} for img, lab in self.drawings],
                "n_train": len(self.y_train), "history": [list(h) for h in self.history]}
