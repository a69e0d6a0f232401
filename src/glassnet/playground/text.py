"""The Text page's session state: a text, its character vocabulary, a tiny GPT or a bigram model.

A :class:`TextTrainer` is used by its session's thread only.  The text is the one of ``glassnet
lesson gpt`` (``lessons/gpt_text.py``'s seeded-grammar dialogues) or the learner's paste; its
first 90 % trains, the rest is held out (val).  The models are the lesson's
(``lessons/gpt_model.py``: ``GPT(GPTConfig(...))`` or ``BigramLanguageModel``) and its training
step is the video's loop::

    logits, loss = model(xb, yb)            # random windows of block_size characters
    optimizer.zero_grad(); loss.backward(); optimizer.step()      # AdamW

The loss is drawn against the lesson's bigram floor (``lessons.gpt.bigram_entropy`` of the
training pairs): no bigram model can score below it.  Every frame records one step on the
sequence under the learner's cursor through ``glassnet.explain.record`` (on a copy of the model,
the session unchanged); the attention maps come from that recording (``step.attention()``).
A frame is one binary message (``frames.encode``) whose header lists its float32 arrays::

    attention (layers, heads, T, T): each head's weights for the window, −1 where masked
    params    (only when a share link can carry them: ≤ ``LINK_PARAMS`` numbers)

An array the page already has is left out and named in the header's ``kept`` (the page draws the
one it kept): the attention maps (32 KiB for the default GPT) go out only with a new recording
whose weights differ (a new step, window or model), the parameters only when they changed, and
both in a session's first frame (``frames.Versions``; the session tells the trainer what the
page holds, ``page_arrays``).  ``frames.decode_arrays`` reads one back.  Samples are generated as it trains, a few characters a
frame (``SAMPLE_CHARS_PER_FRAME``), at the learner's temperature; paused, the session draws
frames until the sample is written (``PAUSED_CHARS_PER_FRAME`` a frame: no long piece of work).
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np

import glassnet
from glassnet import nn, optim
from glassnet.lessons.gpt import Vocabulary, bigram_entropy
from glassnet.lessons.gpt_model import GPT, BigramLanguageModel, GPTConfig

from . import frames as F
from .protocol import ProtocolError
from .text_protocol import NETWORK_FIELDS, TextConfig, TextLimits
from .trainer import SessionTrainer, finite

VAL_SHARE = 0.1
EVAL_EVERY = 0.5            # seconds between two val evaluations while training
EVAL_WINDOWS = 32           # val windows the val loss is measured on (evenly spaced, fixed)
SAMPLE_CHARS_PER_FRAME = 4  # characters a frame adds to the sample being written while training
                            # (in a crowd of n: one every ceil(n / 8) frames)
PAUSED_CHARS_PER_FRAME = 16 # ... while paused (the session draws frames until the sample is done)
WARNING_WINDOWS = 8         # training windows the warnings look at
LINK_PARAMS = 7500          # parameters a share link carries (a link's w= is at most 40,000 characters)
MASKED = -1.0               # an attention weight the mask hid, in a frame

_DEFAULT = None


def default_text() -> str:
    """The lesson's text: 700 dialogues of the seeded grammar (``lessons/gpt_text.py``)."""
    global _DEFAULT
    if _DEFAULT is None:
        from glassnet.lessons.gpt_text import make_text
        _DEFAULT = make_text().text
    return _DEFAULT


def build_model(cfg: TextConfig, vocab_size: int):
    if cfg.model == "bigram":
        return BigramLanguageModel(vocab_size)
    return GPT(GPTConfig(vocab_size=vocab_size, block_size=cfg.block_size, n_embd=cfg.n_embd,
                         n_head=cfg.n_head, n_layer=cfg.n_layer))


class TextTrainer(SessionTrainer):
    """The text and its vocabulary, the model, AdamW, the window under the cursor, the sample."""

    _frames_drawn = 0
    #: in a crowd, record the views and the warnings half as often as the other pages (a recording of
    #: the GPT costs about three frames)
    record_scale = 2.0

    def __init__(self, cfg: TextConfig | None = None, text: str | None = None):
        self.cfg = cfg or TextConfig()
        self.cfg.check()
        self.rev = 0
        self.position = None          # the cursor in the text (None: the first window with a copy)
        self._versions = F.Versions() # the frame arrays' versions (a frame leaves out what the page has)
        self.set_text(text)

    # -- the text --------------------------------------------------------------------------------
    def set_text(self, text: str | None) -> int | None:
        """Train on ``text`` (None: the default); the length it was cut from, if it was cut."""
        cut = None
        if text is not None and len(text) > TextLimits.max_chars:
            cut, text = len(text), text[:TextLimits.max_chars]
        full = default_text() if text is None else text
        if len(full) < TextLimits.min_chars:
            raise ProtocolError(f"the text has {len(full)} characters; the Text page needs at least "
                                f"{TextLimits.min_chars} (90 % to train on, 10 % held out)")
        chars = sorted(set(full))
        if len(chars) > TextLimits.max_vocab:
            raise ProtocolError(f"the text has {len(chars)} different characters; the vocabulary may have at "
                                f"most {TextLimits.max_vocab}")
        self.text, self.custom = full, text is not None
        self.vocab = Vocabulary(full)
        self.ids = np.array(self.vocab.encode(full), dtype=np.int64)
        self.n_train = int((1 - VAL_SHARE) * len(self.ids))
        self.floor = bigram_entropy(self.ids[:self.n_train], len(self.vocab))
        self.val_floor = bigram_entropy(self.ids[self.n_train:], len(self.vocab))
        self.position = None
        self.rebuild_network()
        self.rev += 1
        return cut

    @property
    def T(self) -> int:
        """The window length: the context, or less if the held-out part is shorter."""
        ctx = 1 if self.cfg.model == "bigram" else self.cfg.block_size
        return max(1, min(ctx, len(self.ids) - self.n_train - 1))

    # -- building --------------------------------------------------------------------------------
    def rebuild_network(self) -> None:
        self.model = build_model(self.cfg, len(self.vocab))
        self._init_weights()
        self.rebuild_optimizer()
        self.batch_rng = np.random.default_rng(self.cfg.seed + 104729)
        self.sample_rng = np.random.default_rng(self.cfg.seed + 7919)
        self.steps = self.examples = 0
        self.last_batch = None
        self.train_loss = None
        self.history = []             # (step, train loss, val loss)
        self.evaluation = None
        self._evaluated_at = -1.0
        self.new_sample()

    def _init_weights(self) -> None:
        """PyTorch's default init (Linear: U(±1/√fan_in) for weight and bias; Embedding: N(0, 1);
        LayerNorm: ones and zeros), drawn from the session's seed, not the global generator."""
        rng = np.random.default_rng(self.cfg.seed)
        with glassnet.no_grad():
            for m in self.model.modules():
                if isinstance(m, nn.Linear):
                    bound = 1.0 / math.sqrt(m.weight.shape[1])
                    for p in (m.weight, m.bias):
                        if p is not None:
                            p.copy_(glassnet.tensor(rng.uniform(-bound, bound, tuple(p.shape)), dtype=glassnet.float32))
                elif isinstance(m, nn.Embedding):
                    m.weight.copy_(glassnet.tensor(rng.standard_normal(tuple(m.weight.shape)), dtype=glassnet.float32))

    def rebuild_optimizer(self) -> None:
        self.optimizer = optim.AdamW(self.model.parameters(), lr=self.cfg.learning_rate)

    # -- changing the set-up -----------------------------------------------------------------------
    def apply(self, patch: dict) -> None:
        """Apply changed controls; rebuild only what they touch (the model, the sample, the rate)."""
        new = TextConfig.model_validate({**self.cfg.model_dump(), **patch})
        try:
            new.check()
        except ValueError as err:
            raise ProtocolError(str(err)) from None
        changed = {k for k in patch if getattr(self.cfg, k) != getattr(new, k)}
        self.cfg = new
        if changed & NETWORK_FIELDS:
            self.rebuild_network()
        else:
            for group in self.optimizer.param_groups:
                group["lr"] = self.cfg.learning_rate
            if "temperature" in changed:
                self.new_sample()
        self.rev += 1

    def parameters_set(self) -> None:
        self.evaluation = None
        self.new_sample()

    def set_cursor(self, position: int) -> None:
        self.position = min(int(position), len(self.ids))

    # -- training --------------------------------------------------------------------------------
    def windows(self, starts, T: int | None = None):
        """(x, y) int64 arrays of the windows starting at ``starts``: y is x shifted by one."""
        T = T or self.T
        rows = np.asarray(starts)[:, None] + np.arange(T)
        return self.ids[rows], self.ids[rows + 1]

    def data_loss(self, out, y):
        logits = out[0] if isinstance(out, tuple) else out
        B, T, C = logits.shape
        return nn.functional.cross_entropy(logits.view(B * T, C), y.view(B * T))

    def train_step(self) -> float:
        T = self.T
        starts = self.batch_rng.integers(0, self.n_train - T, size=self.cfg.batch_size)
        self.last_batch = starts
        x, y = self.windows(starts, T)
        _, loss = self.model(glassnet.tensor(x), glassnet.tensor(y))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.examples += len(starts) * T
        return self.note_loss(float(loss.item()))

    def finite_parameters(self) -> bool:
        return all(np.isfinite(p.array).all() for p in self.model.parameters())

    @property
    def epoch(self) -> int:
        return self.examples // max(1, self.n_train)

    def warning_sample(self):
        """(x, y, what): the training windows the live warnings record (``health.live_warnings``)."""
        T = self.T
        starts = np.linspace(0, self.n_train - T - 1, WARNING_WINDOWS).astype(int)
        x, y = self.windows(starts, T)
        return x, y, f"{WARNING_WINDOWS} training windows of {T} characters"

    def layer_label(self, module_path: str) -> str:
        """A module's path ("blocks.0.ffwd.net.0") -> how the page names it ("block 1's feed-forward")."""
        parts = module_path.split(".")
        if parts[0] == "blocks" and len(parts) > 2 and parts[1].isdigit():
            what = {"sa": "attention", "ffwd": "feed-forward", "ln1": "first LayerNorm",
                    "ln2": "second LayerNorm"}.get(parts[2], parts[2])
            return f"block {int(parts[1]) + 1}'s {what}"
        return {"token_embedding_table": "the token embedding", "position_embedding_table": "the position embedding",
                "ln_f": "the final LayerNorm", "lm_head": "the output layer"}.get(parts[0], module_path)

    # -- what the page shows -----------------------------------------------------------------------
    def evaluate(self, force: bool = False) -> dict:
        """The val loss on ``EVAL_WINDOWS`` fixed windows (every ``EVAL_EVERY`` s while training)."""
        now = time.perf_counter()
        if self.evaluation is not None and (self.quick or not force and now - self._evaluated_at
                                            < EVAL_EVERY * self.eval_scale):
            return self.evaluation
        T = self.T
        last = len(self.ids) - T - 1
        starts = np.unique(np.linspace(self.n_train, last, EVAL_WINDOWS).astype(int))
        x, y = self.windows(starts, T)
        with glassnet.no_grad():
            _, loss = self.model(glassnet.tensor(x), glassnet.tensor(y))
        value = float(loss.item())
        self.evaluation = {"step": self.steps, "val_loss": value if math.isfinite(value) else None}
        self._evaluated_at = now
        train = self.train_loss if self.train_loss is not None and math.isfinite(self.train_loss) else None
        self.history.append((self.steps, train, self.evaluation["val_loss"]))
        if len(self.history) > 400:
            self.history = self.history[::2]
        return self.evaluation

    def window(self) -> int:
        """The start of the window under the cursor: the ``T`` characters before the cursor (the
        first window that repeats a question's words when no cursor was set)."""
        T = self.T
        if self.position is None:
            end = 200 if not self.custom else T
        else:
            end = self.position
        return int(min(max(0, end - T), len(self.ids) - T - 1))

    def record_window(self, optimizer_step: bool = False):
        """One recorded step on the window under the cursor (``glassnet.explain.record``) on a copy
        of the model (and optimizer): the session is not changed.  Returns (recording, logits,
        start)."""
        from glassnet.explain import record
        start = self.window()
        x, y = self.windows([start])
        model = copy.deepcopy(self.model) if optimizer_step else self._shadow_model()
        opt = None
        if optimizer_step:
            opt = optim.AdamW(model.parameters(), lr=self.cfg.learning_rate)
            opt.load_state_dict(copy.deepcopy(self.optimizer.state_dict()))
        with record(model, opt, title="One step of the Text page's model on the window under the cursor") as rec:
            logits, loss = model(glassnet.tensor(x), glassnet.tensor(y))
            if opt is not None:
                opt.zero_grad()
            loss.backward()
            if opt is not None:
                opt.step()
        return rec, logits.detach().numpy()[0], start

    def _shadow_model(self):
        """A copy of the model for the frames' recordings: made once per model, its parameters set
        from the model's before each recording and its gradients cleared (deep-copying the model
        every time took about half of a recording's 12 ms)."""
        if getattr(self, "_shadow", (None,))[0] is not self.model:
            self._shadow = (self.model, copy.deepcopy(self.model))
        shadow = self._shadow[1]
        with glassnet.no_grad():
            for mine, theirs in zip(shadow.parameters(), self.model.parameters(), strict=True):
                mine.copy_(theirs)
                mine.grad = None
        return shadow

    def attention_maps(self, rec) -> np.ndarray:
        """Every head's weights for the recorded window, (layers, heads, T, T), ``MASKED`` where
        the mask hid a key (``step.attention()``: explain's heads, in module order)."""
        view = rec.attention()
        maps = np.stack([np.where(h.masked, MASKED, h.weights) for h in view.heads])
        return maps.reshape(self.cfg.n_layer, self.cfg.n_head, *maps.shape[-2:])

    # -- samples ---------------------------------------------------------------------------------
    def new_sample(self) -> None:
        """Start a new sample (written on by :meth:`grow_sample`) with the weights as they are."""
        start = self.vocab.stoi.get("\n", 0)
        self.sample = {"ids": [start], "step": getattr(self, "steps", 0), "temperature": self.cfg.temperature}

    def grow_sample(self, n: int) -> None:
        """``n`` more characters of the sample: softmax(logits / temperature) of the last position,
        drawn from the session's own generator."""
        ids = self.sample["ids"]
        ctx = 1 if self.cfg.model == "bigram" else self.cfg.block_size
        with glassnet.no_grad():
            for _ in range(min(n, TextLimits.sample_chars + 1 - len(ids))):
                logits, _ = self.model(glassnet.tensor(np.array([ids[-ctx:]], dtype=np.int64)))
                z = np.asarray(logits.numpy()[0, -1], dtype=np.float64) / self.sample["temperature"]
                if not np.isfinite(z).all():
                    self.sample["stopped"] = True      # a broken model: nothing more to write
                    return
                p = np.exp(z - z.max())
                ids.append(int(self.sample_rng.choice(len(p), p=p / p.sum())))

    def unfinished(self) -> bool:
        """Paused, the sample is written ``PAUSED_CHARS_PER_FRAME`` characters a frame until done."""
        return not self.sample_done and not self.sample.get("stopped")

    @property
    def sample_done(self) -> bool:
        return len(self.sample["ids"]) > TextLimits.sample_chars

    def sample_text(self) -> str:
        return self.vocab.decode(self.sample["ids"][1:])

    def frame(self, **extra) -> bytes:
        """One binary frame (see the module docstring); ``extra`` goes into its header."""
        playing = extra.get("playing", False)
        ev = self.evaluate(force=not playing)
        if self.quick:
            pass                        # the answer to a change: the sample grows in the next frame
        elif playing:
            if self.sample_done:
                self.new_sample()
            # a character is a forward pass (most of a frame's cost): in a crowd one every few frames
            self._frames_drawn += 1
            if self.crowd <= 2:
                self.grow_sample(SAMPLE_CHARS_PER_FRAME)
            elif self._frames_drawn % -(-self.crowd // 8) == 0:
                self.grow_sample(1)
        else:
            self.grow_sample(PAUSED_CHARS_PER_FRAME)
        def views():
            rec, logits, start = self.record_window()
            attention = self.attention_maps(rec) if self.cfg.model == "gpt" else None
            return logits, start, attention, finite(rec.ops[rec.loss_index].output)
        key = (self.model, self.ids, self.position)             # what the views show: re-record when it changes
        (logits, start, attention, loss_recorded), recorded_step = self.recorded(playing, views, key)
        T = self.T
        z = np.asarray(logits[-1], dtype=np.float64)
        p = np.exp(z - z.max()) if np.isfinite(z).all() else np.zeros_like(z)
        p /= max(p.sum(), 1e-30)
        top = np.argsort(-p, kind="stable")[:5]
        arrays = {}
        if self.cfg.model == "gpt":
            arrays["attention"] = attention          # the same object while the recording is reused
        n_params = self.n_params
        if n_params <= LINK_PARAMS:
            arrays["params"] = np.concatenate([q.array.ravel() for q in self.model.parameters()])
        # the page keeps what it has: an array goes out only when it changed since the page's last
        self.frame_arrays = self._versions.stamp(arrays)
        sent, kept = F.split_kept(arrays, self.frame_arrays, self.page_arrays)
        train = self.train_loss if self.train_loss is not None and math.isfinite(self.train_loss) else None
        header = {"type": "frame", "rev": self.rev, "step": self.steps, "epoch": self.epoch, "train_loss": train,
                  "val_loss": ev["val_loss"], "evaluated_step": ev["step"], "floor": self.floor,
                  "val_floor": self.val_floor, "loss_recorded": loss_recorded, "recorded_step": recorded_step,
                  "window": {"start": start, "length": T, "ids": self.ids[start:start + T].tolist(),
                             "next": int(self.ids[start + T])},
                  "next": [[int(k), float(p[k])] for k in top],
                  "sample": {"text": self.sample_text(), "step": self.sample["step"],
                             "temperature": self.sample["temperature"], "done": self.sample_done},
                  "n_params": n_params, "arrays": [[name, list(np.shape(a))] for name, a in sent], "kept": kept}
        header.update(extra)
        return F.encode(header, [np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
                                 for _, a in sent], [])

    @property
    def n_params(self) -> int:
        """The model's number of parameters (counted once per model: walking its modules each frame
        cost a frame about 0.3 ms)."""
        if getattr(self, "_counted", (None,))[0] is not self.model:
            self._counted = (self.model, sum(p.numel() for p in self.model.parameters()))
        return self._counted[1]

    def state(self) -> dict:
        return {"type": "state", "rev": self.rev, "config": self.cfg.model_dump(), "vocab": self.vocab.chars,
                "n_chars": len(self.ids), "n_train": self.n_train, "custom": self.custom, "T": self.T,
                "floor": self.floor, "val_floor": self.val_floor, "history": [list(h) for h in self.history],
                "n_params": self.n_params, "link_params": LINK_PARAMS}
