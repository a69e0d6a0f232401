"""One browser tab's session: its own training thread, an inbox, and a latest-frame-wins outbox.

The session's thread is the only one that touches its :class:`~.trainer.Trainer` (grad mode
and the engine's observers are per thread, so sessions never disturb each other).  The
thread sleeps on its inbox while paused.  While playing, each frame interval (1/30 s) it
trains for ``duty`` of the interval, waits out the rest on its inbox (leaving the CPU to the
event loop and to other sessions), then draws a frame; a message ends training or waiting
at once, so a control change is applied after at most one training step and its frame is
drawn straight away.  The sessions of a process share its GIL, so when ``n`` tabs train at
once each trains for ``0.4 / n`` of its interval, which stretches to ``4 ms * n`` but never
past 1/12 s: frames first, the tabs share the CPU and the event loop keeps its turn (see
:meth:`pace`).  ``glassnet playground --workers N`` spreads the tabs over N processes.

Frames go through a single slot: a new frame replaces one not yet sent, and a frame is sent
only while fewer than ``window`` frames wait for the page's ``got_frame``.  So a slow page
sees fewer (but current) frames, training runs at full speed and memory stays bounded.
Other messages (state, explain, export, error) keep their order in a bounded queue.

Server -> page messages
    ``state``   {rev, config, sizes, points{train, test, domain, label_range}, input_maps,
                 history, upload_name, playing, ack}
    frame       binary (see ``frames.py``): weights, gradients, updates, losses, steps/s, heat maps
    ``health``  {diverged: {step, where, message} or null, warnings: [{kind, where, message}]}
                 (sent when it changes; the page keeps it on screen until it changes again)
    ``explain`` {point, record (glassnet.explain's JSON), inputs, steps, text}
    ``export``  {filename, safetensors (base64), code_filename, code}
    ``notice``  {message}     ``error``  {message}
"""
from __future__ import annotations

import collections
import json
import logging
import math
import queue
import secrets
import threading
import time

from . import export as X
from . import health as H
from . import links as K
from .protocol import (ExplainMsg, ExportMsg, LinkMsg, PauseMsg, PlayMsg, PresetMsg, ProtocolError, RegenerateMsg,
                       ResetMsg, SetMsg, SetWeightMsg, StepMsg, UploadCsvMsg)
from .trainer import Trainer

log = logging.getLogger("glassnet.playground")
_CLOSE = object()


def _plain(value):
    """NumPy scalars and arrays in a message, as JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class Session:
    """A tab's training thread and its two outboxes.

    ``notify`` is called (from the training thread) whenever something is ready to send;
    the server passes a function that wakes its sender task on the event loop.
    """

    #: frames sent but not yet confirmed by the page (``got_frame``); more wait in the slot
    window = 2
    #: share of each frame interval spent training while playing alone (the rest is left to others)
    duty = 0.8
    #: seconds between two looks for warnings (dead ReLUs, saturation, a stalled loss) while playing
    warnings_every = 2.0

    def __init__(self, notify=lambda: None, fps: float = 30.0, inbox_size: int = 256, crowd=lambda: 1):
        self.id = secrets.token_hex(8)
        self.notify = notify
        self.frame_interval = 1.0 / fps
        self.crowd = crowd                 # how many sessions are training now (this one included)
        self.inbox: queue.Queue = queue.Queue(maxsize=inbox_size)
        self.messages: collections.deque = collections.deque(maxlen=64)
        self._frame = None                 # the latest unsent frame (bytes)
        self._lock = threading.Lock()
        self.playing = False
        self.ack = None                    # id of the last message applied
        self.trainer = None
        self.closed = threading.Event()
        self.frames_published = 0
        self.frames_taken = 0
        self.frames_confirmed = 0
        self.diverged = None               # {step, where, message} until the network is finite again
        self.warnings = []
        self._health_sent = None
        self._next_warnings = 0.0
        self._rate = (time.perf_counter(), 0)   # (time, step) at the last steps/s reading
        self.steps_per_s = 0.0
        self.thread = threading.Thread(target=self._run, name=f"playground-{self.id}", daemon=True)

    # -- event-loop side -------------------------------------------------------------------
    def start(self) -> "Session":
        self.thread.start()
        return self

    def submit(self, msg) -> None:
        """Queue a validated message for the training thread (an error if the inbox is full)."""
        try:
            self.inbox.put_nowait(msg)
        except queue.Full:
            self.send({"type": "error", "message": "too many messages queued; this one was dropped"})

    def send(self, payload: dict) -> None:
        """Queue a non-frame message (any thread)."""
        text = json.dumps(payload, default=_plain)
        with self._lock:
            self.messages.append(text)
        self.notify()

    def take(self) -> list:
        """Everything ready to send, in order: queued messages first, then the latest frame if
        fewer than ``window`` frames are on their way to the page."""
        with self._lock:
            out = list(self.messages)
            self.messages.clear()
            if self._frame is not None and self.frames_taken - self.frames_confirmed < self.window:
                out.append(self._frame)
                self._frame = None
                self.frames_taken += 1
        return out

    def got_frame(self) -> None:
        """The page has a frame: one more may be sent."""
        with self._lock:
            self.frames_confirmed = min(self.frames_confirmed + 1, self.frames_taken)
        self.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the training thread (the tab has gone) and wait for it."""
        self.closed.set()
        try:
            self.inbox.put_nowait(_CLOSE)
        except queue.Full:
            pass
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    # -- training-thread side ---------------------------------------------------------------
    def _publish_frame(self) -> None:
        now, steps = time.perf_counter(), self.trainer.steps
        t0, s0 = self._rate
        if not self.playing or steps < s0:
            self.steps_per_s, self._rate = 0.0, (now, steps)
        elif now - t0 >= 0.5:
            self.steps_per_s, self._rate = (steps - s0) / (now - t0), (now, steps)
        # a crowd shares the worker: the training state goes out every frame, the recorded views
        # (feature maps, attention maps) are refreshed every 100 ms per training tab, at most every 2 s
        # (and the test/val evaluation is spread out the same way)
        n = max(1, self.crowd())
        self.trainer.record_every = 0.0 if n <= 2 else min(2.0, 0.1 * n)
        self.trainer.eval_scale = 1.0 if n <= 2 else float(n)
        blob = self.trainer.frame(playing=self.playing, ack=self.ack, steps_per_s=round(self.steps_per_s, 1))
        with self._lock:
            self._frame = blob
            self.frames_published += 1
        self.notify()

    def _check_health(self, force: bool = False) -> None:
        """Re-read the warnings (now if ``force``, else at most every ``warnings_every`` s), and
        send the health message if it changed."""
        now = time.perf_counter()
        if self.diverged is not None and self.trainer.finite_parameters() and not self.playing \
                and self.trainer.steps == 0:
            self.diverged = None           # a fresh network: the banner goes
        if force or now >= self._next_warnings:
            self._next_warnings = now + self.warnings_every * max(1, self.crowd() / 4)
            self.warnings = [] if self.diverged else self.warnings_now()
        health = {"type": "health", "diverged": self.diverged, "warnings": self.warnings}
        if health != self._health_sent:
            self._health_sent = health
            self.send(health)

    def _diverge(self, loss: float) -> None:
        self.playing = False
        self.diverged = self.diagnose(loss)
        self._check_health(force=True)

    # -- what a page's session says its own way (the Images page's session overrides these) ----
    def make_trainer(self):
        """The trainer of this page's model (built on the session's thread)."""
        return Trainer()

    def warnings_now(self) -> list:
        """The live warnings ({kind, where, message}) of the trainer as it is now."""
        return H.live_warnings(self.trainer)

    def diagnose(self, loss: float) -> dict:
        """Why the last step's loss is not finite: {kind, step, where, message}."""
        return H.diagnose_divergence(self.trainer, self.trainer.last_batch, loss)

    def _publish_state(self) -> None:
        state = self.trainer.state()
        state["playing"] = self.playing
        state["ack"] = self.ack
        self.send(state)

    def _run(self) -> None:
        try:
            self.trainer = self.make_trainer()
            self._publish_state()
            self._publish_frame()
            self._check_health(force=True)
            while True:
                # Playing: each frame interval trains for `duty` of it, waits out the rest (the
                # event loop and other sessions get the CPU), then draws a frame.  A message ends
                # the wait at once.  Paused: sleep until a message comes.
                if self.playing:
                    start = time.perf_counter()
                    interval, duty = self.pace()
                    self._train_for(start + duty * interval)
                    timeout = max(0.0, start + interval - time.perf_counter())
                    try:
                        msg = self.inbox.get(timeout=timeout) if timeout else self.inbox.get_nowait()
                    except queue.Empty:
                        msg = None
                else:
                    msg = self.inbox.get()
                if msg is None:
                    if self.playing and self._frame is None:   # the page has the last one
                        self._publish_frame()
                    if self.playing:
                        self._check_health()
                    continue
                changed = False
                while msg is not None:                 # apply everything that has arrived
                    if msg is _CLOSE:
                        return
                    changed = self._handle(msg) or changed
                    try:
                        msg = self.inbox.get_nowait()
                    except queue.Empty:
                        msg = None
                if changed:
                    self._publish_frame()
                    self._check_health(force=not self.playing)
        except Exception:  # pragma: no cover - a bug: tell the page, end the session's thread
            log.exception("playground session %s failed", self.id)
            self.send({"type": "error", "message": "the session's training thread failed; reload the page"})
        finally:
            self.closed.set()

    #: the longest frame interval a crowd may stretch a tab to (at least 12 frames/s each)
    crowd_interval = 1 / 12

    def pace(self) -> tuple:
        """(frame interval, share of it spent training), shared fairly among the training tabs.

        Alone, a tab trains for ``duty`` of each 1/30 s.  With ``n`` tabs training in this process,
        frames come first (a classroom wants every tab to move smoothly): the interval stretches
        by 4 ms a tab, to at most ``crowd_interval``, and the tabs share 40 % of the CPU for training.
        """
        n = max(1, self.crowd())
        if n == 1:
            return self.frame_interval, self.duty
        return min(max(self.frame_interval, 0.004 * n), self.crowd_interval), 0.4 / n

    _credit = 0.0

    def _train_for(self, until: float) -> None:
        """Train until ``until`` or until a message arrives; pause if the loss stops being finite.

        In a crowd a tab trains on credit: each interval adds its share of time, each step spends
        what it took, so a step longer than the share (the Text page's GPT, whose trainer opts in with
        ``train_on_credit``) is taken every few
        frames instead of delaying every frame; frames keep their steady rate."""
        inbox, trainer = self.inbox, self.trainer
        crowded = self.crowd() > 1 and getattr(trainer, "train_on_credit", False)
        if crowded:
            start = time.perf_counter()
            self._credit = min(self._credit + 4 * max(0.0, until - start), 2 * self.crowd_interval)
        else:
            self._credit = 0.0
        while self.playing and inbox.empty() and (self._credit > 0 if crowded else time.perf_counter() < until):
            t0 = time.perf_counter()
            loss = trainer.train_step()
            self._credit -= time.perf_counter() - t0
            if not math.isfinite(loss):
                self._diverge(loss)
                self._publish_frame()

    def _handle(self, msg) -> bool:
        """Apply one message; True if the page needs a new frame.  Errors go back to the page."""
        self.ack = msg.id
        try:
            return self.apply_message(msg)
        except ProtocolError as err:
            self.send({"type": "error", "message": str(err), "ack": msg.id})
        except Exception as err:  # noqa: BLE001 - a bad request must not end the session
            log.exception("playground: %s failed", type(msg).__name__)
            self.send({"type": "error", "message": f"{type(msg).__name__[:-3].lower()} failed: "
                       f"{type(err).__name__}: {err}", "ack": msg.id})
        return True

    def apply_message(self, msg) -> bool:
        """The messages every page shares (play, pause, step, reset, link, export); a page's own
        go to :meth:`apply_page_message`.  True if the page needs a new frame."""
        t = self.trainer
        if isinstance(msg, PlayMsg):
            self.playing = True
        elif isinstance(msg, PauseMsg):
            self.playing = False
        elif isinstance(msg, StepMsg):
            self.playing = False
            for _ in range(msg.n):
                loss = t.train_step()
                if not math.isfinite(loss):
                    self._diverge(loss)
                    break
        elif isinstance(msg, ResetMsg):
            self.playing = False
            t.reset()
            self.diverged = None
            self._publish_state()
        elif isinstance(msg, LinkMsg):
            self.playing = False
            problems = self.apply_link_fields(msg.fields)
            if msg.weights:
                try:
                    t.set_parameters(K.decode_weights(msg.weights, [tuple(p.shape) for p in t.model.parameters()]))
                except ProtocolError as err:
                    problems.append(f"{err} — the network starts from its seed instead")
            self._publish_state()
            for text in problems:
                self.send({"type": "error", "message": text, "link": True})
        elif isinstance(msg, ExportMsg):
            self.send(self._export())
            return False
        else:
            return self.apply_page_message(msg)
        return True

    def apply_link_fields(self, fields: dict) -> list:
        """Apply a share link's fields; the sentences for those left out."""
        return K.apply_fields(self.trainer, fields)

    def apply_page_message(self, msg) -> bool:
        """The 2-D page's own messages."""
        t = self.trainer
        if isinstance(msg, SetMsg):
            t.apply(msg.config.model_dump(exclude_none=True))
            self._publish_state()
        elif isinstance(msg, RegenerateMsg):
            t.apply({"seed": secrets.randbelow(2 ** 31)})
            self._publish_state()
        elif isinstance(msg, SetWeightMsg):
            t.set_weight(msg.layer, msg.row, msg.col, msg.value)
        elif isinstance(msg, PresetMsg):
            self.playing = False
            t.preset_xor_step()
            self._publish_state()
        elif isinstance(msg, UploadCsvMsg):
            t.load_csv(msg.name, msg.text)
            self._publish_state()
            self.send({"type": "notice", "message": f"loaded {len(t.points.y_train) + len(t.points.y_test)}"
                       f" points from {msg.name}"})
        elif isinstance(msg, ExplainMsg):
            from .stepper import explain_point
            self.send(explain_point(t, msg.split, msg.index))
            return False
        return True

    def _export(self) -> dict:
        t = self.trainer
        name = f"glassnet-playground-{t.cfg.dataset}.safetensors"
        return X.export_message(t.model, name, "load_playground_model.py", X.torch_code(t.cfg, t.sizes, name))
