"""One browser tab's session: its own training thread, an inbox, and a latest-frame-wins outbox.

The session's thread is the only one that touches its :class:`~.trainer.Trainer` (grad mode
and the engine's observers are per thread, so sessions never disturb each other).  It works in
pieces — the answer to the messages that have arrived, a frame, a training slice, a look for
warnings — each in the process's turn (``turns.py``: one session computes at a time, a session
with a message goes first, then frames, then training), and sleeps on its inbox between them.
Alone, a tab draws a frame every 1/30 s and trains for ``duty`` of the interval, leaving the
rest to the event loop.  With ``n`` tabs training, frames come first (a classroom wants every
tab to move): the interval stretches with the crowd and the frames' cost (:meth:`pace`), and
the tabs train in turns in the time left.  A message ends a training slice after its step; it is
applied and a frame reflecting it drawn at once (a quick one: what is merely due, an evaluation
or a recording, waits for the next frame), so a control change waits for at most one piece of
another session.  ``glassnet playground --workers N`` spreads the tabs over N processes.

Frames go through a single slot: a new frame replaces one not yet sent, and a frame is sent
only while fewer than ``window`` frames wait for the page's ``got_frame``.  So a slow page
sees fewer (but current) frames, training runs at full speed and memory stays bounded.
A frame may leave out an array the page already has (the Text page's attention maps): the
session tells the trainer the versions the page holds — those of the last frame sent, which a
frame replaced in the slot never was (``frames.Versions``).
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
from .turns import ANSWER, FRAME, TRAIN, Turns

log = logging.getLogger("glassnet.playground")
_CLOSE = object()
TURNS = Turns()          # this process's: every session of the process computes in it


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

    def __init__(self, notify=lambda: None, fps: float = 30.0, inbox_size: int = 256, crowd=lambda: 1,
                 turns: Turns | None = None):
        self.id = secrets.token_hex(8)
        self.notify = notify
        self.frame_interval = 1.0 / fps
        self.crowd = crowd                 # how many sessions are training now (this one included)
        self.inbox: queue.Queue = queue.Queue(maxsize=inbox_size)
        self.messages: collections.deque = collections.deque(maxlen=64)
        self._frame = None                 # the latest unsent frame (bytes)
        self._slot_arrays = {}             # {array: version} the page holds once it has that frame
        self._page_arrays = {}             # ... once it has the frames sent so far
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
        self.turns = turns or TURNS        # the process's turn: one session computes at a time
        self._held = []                    # messages taken from the inbox while waiting, not yet applied
        self._next_frame = 0.0             # when the next frame is due (playing, or unfinished work)
        self._train_until = 0.0            # training stops then (alone: ``duty`` of each interval)
        self._health_forced = False        # a look for warnings is owed (a change while paused)
        self._frame_cpu = 0.0              # CPU seconds of one frame, smoothed
        self._fps_mark, self._fps_ok = (time.perf_counter(), 0), True   # frames/s, read every 2 s
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
                self._page_arrays = self._slot_arrays
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
    def _publish_frame(self, quick: bool = False) -> None:
        """Draw a frame and put it in the slot.  ``quick``: the answer to a change while playing,
        which reuses the evaluation and recorded views if they still show the same model."""
        now, steps = time.perf_counter(), self.trainer.steps
        cpu = time.thread_time()
        t0, s0 = self._rate
        if not self.playing or steps < s0:
            self.steps_per_s, self._rate = 0.0, (now, steps)
        elif now - t0 >= 0.5:
            self.steps_per_s, self._rate = (steps - s0) / (now - t0), (now, steps)
        # a crowd shares the worker: the training state goes out every frame, the recorded views
        # (feature maps, attention maps) are refreshed every 100 ms per training tab, at most every 2 s
        # (times the trainer's record_scale), and the test/val evaluation is spread out the same way
        n = max(1, self.crowd())
        slow = self.trainer.record_scale
        self.trainer.record_every = 0.0 if n <= 2 else min(2.0 * slow, 0.1 * n * slow)
        self.trainer.eval_scale = 1.0 if n <= 2 else float(n)
        self.trainer.crowd = n
        self.trainer.quick = quick
        with self._lock:                   # what the page holds (a frame in the slot is replaced)
            self.trainer.page_arrays = self._page_arrays
        try:
            blob = self.trainer.frame(playing=self.playing, ack=self.ack, steps_per_s=round(self.steps_per_s, 1))
        finally:
            self.trainer.quick = False
        if not quick:                      # what a frame costs this tab (for pace), smoothed
            self._frame_cpu += 0.2 * (time.thread_time() - cpu - self._frame_cpu)
        with self._lock:
            self._frame = blob
            self._slot_arrays = self.trainer.frame_arrays
            self.frames_published += 1
        self.notify()

    def _check_health(self, force: bool = False) -> None:
        """Re-read the warnings (now if ``force``, else at most every ``warnings_every`` s), and
        send the health message if it changed."""
        now = time.perf_counter()
        self._health_forced = False
        if self.diverged is not None and self.trainer.finite_parameters() and not self.playing \
                and self.trainer.steps == 0:
            self.diverged = None           # a fresh network: the banner goes
        if force or now >= self._next_warnings:
            self._next_warnings = now + self.warnings_every * max(1, self.crowd() / 4 * self.trainer.record_scale)
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

    # -- the session's thread: pieces of work, each in the process's turn (``turns.py``) ---------
    def _has_message(self) -> bool:
        return bool(self._held) or not self.inbox.empty()

    def _run(self) -> None:
        try:
            with self.turns.turn(ANSWER):
                self.trainer = self.make_trainer()
                self._publish_state()
                self._publish_frame()
            with self.turns.turn(FRAME):
                self._check_health(force=True)
            while not self.closed.is_set():
                claim, timeout = self._next_piece()
                if claim is None:                  # nothing to do until a message or the timeout
                    try:
                        self._held.append(self.inbox.get(timeout=timeout))
                    except queue.Empty:
                        pass
                    continue
                due = self._next_frame if claim == TRAIN and self._frame is None else None
                with self.turns.turn(claim, self._has_message, due, self._frames_keep_up()) as granted:
                    claim, _ = self._next_piece()  # again: things changed while it waited
                    if claim == ANSWER and not self._answer():
                        return
                    if claim == FRAME:
                        self._frame_piece()
                    if claim == TRAIN or (granted == TRAIN and claim == FRAME):
                        self._train_piece()        # a turn granted for training trains, after a frame come due
                if self._health_due():             # its own piece (a recording: tens of ms)
                    with self.turns.turn(FRAME, self._has_message):
                        self._check_health(force=self._health_forced)
        except Exception:  # pragma: no cover - a bug: tell the page, end the session's thread
            log.exception("playground session %s failed", self.id)
            self.send({"type": "error", "message": "the session's training thread failed; reload the page"})
        finally:
            self.closed.set()

    def _next_piece(self) -> tuple:
        """(claim, timeout): what this session does next — ANSWER its messages, draw a FRAME, a
        TRAIN slice — or (None, seconds to wait for a message; None: until one comes)."""
        if self._has_message():
            return ANSWER, 0
        now = time.perf_counter()
        if self.playing or self.trainer.unfinished():
            if now >= self._next_frame:
                if self._frame is None:          # the page has the last one: draw the next
                    return FRAME, 0
                self._schedule(now)              # the page is behind: skip this frame
            if self.playing and now < self._train_until:
                return TRAIN, 0
            return None, max(self._next_frame - now, 0.001)
        return None, None

    #: frames/s below which a tab in a crowd trains only when no frame waits (no training by age)
    crowd_min_fps = 3.0

    def _frames_keep_up(self) -> bool:
        """Whether this tab's frames came at ``crowd_min_fps`` or more (over its last 2 s)."""
        now = time.perf_counter()
        t0, n0 = self._fps_mark
        if now - t0 >= 2.0:
            self._fps_mark = (now, self.frames_published)
            self._fps_ok = (self.frames_published - n0) / (now - t0) >= self.crowd_min_fps
        return self._fps_ok

    def _schedule(self, start: float) -> None:
        """A frame interval began at ``start`` (a frame was drawn since): the next frame's time, and
        how long to train until then.  Alone, a tab trains for ``duty`` of the interval after the
        frame is drawn (a slow frame stretches the interval, it does not eat the training)."""
        interval, duty = self.pace()
        if duty >= 1:
            self._next_frame, self._train_until = start + interval, math.inf
        else:
            self._train_until = time.perf_counter() + duty * interval
            self._next_frame = max(start + interval, self._train_until)

    #: the longest frame interval a crowd may stretch a tab to (the 2-D page: at least 12 frames/s
    #: each, its goal is 10; the Images and Text pages: 4, their goal is 2)
    crowd_interval = 1 / 12
    #: the share of the CPU a crowd's frames may take (the rest trains)
    frame_share = 0.5
    #: CPU seconds a training turn may run while other sessions wait (at least one step)
    train_slice = 0.005

    def pace(self) -> tuple:
        """(frame interval, share of it spent training) for the training tabs of this process.

        Alone, a tab draws a frame every 1/30 s and trains for ``duty`` of it.  With ``n`` tabs
        training, frames come first (a classroom wants every tab to move): the interval stretches
        by 4 ms a tab, and further so that the tabs' frames take at most ``frame_share`` of the
        CPU (from what this tab's frames cost), to at most ``crowd_interval``; the tabs then train
        in the time between (duty 1), in turns after every frame and answer.
        """
        n = max(1, self.crowd())
        if n == 1:
            return self.frame_interval, self.duty
        need = n * self._frame_cpu / self.frame_share
        return min(max(self.frame_interval, 0.004 * n, need), self.crowd_interval), 1.0

    def _frame_piece(self) -> None:
        """A frame: the next one while playing, or (paused) the next part of unfinished work."""
        start = time.perf_counter()
        self._publish_frame()
        self._schedule(start)

    def _train_piece(self) -> None:
        """Train until the slice ends: a message, the end of the training time, a frame or
        answer of another session waiting, or ``train_slice`` of CPU with other training waiting."""
        trainer, turns = self.trainer, self.turns
        t0 = time.thread_time()
        while self.playing and not self._has_message() and time.perf_counter() < self._train_until:
            loss = trainer.train_step()
            if not math.isfinite(loss):
                self._diverge(loss)
                self._publish_frame()
                return
            if turns.others_waiting(FRAME) or (turns.waiting and time.thread_time() - t0 >= self.train_slice):
                return

    def _answer(self) -> bool:
        """Apply every message that has arrived, then (if they changed anything) send a frame that
        reflects them at once: a quick one, which leaves refreshing what is merely due (an
        evaluation, a recording, more of the sample) to the next frame.  False: the tab has gone."""
        changed = False
        while True:
            if self._held:
                msg = self._held.pop(0)
            else:
                try:
                    msg = self.inbox.get_nowait()
                except queue.Empty:
                    break
            if msg is _CLOSE:
                return False
            changed = self._handle(msg) or changed
        if changed:
            self._publish_frame(quick=self.playing)
            self._health_forced = self._health_forced or not self.playing
            self._schedule(time.perf_counter())
        return True

    def _health_due(self) -> bool:
        """A look for warnings is due: after a change while paused, every ``warnings_every`` s playing."""
        return self._health_forced or (self.playing and time.perf_counter() >= self._next_warnings)

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
            problems = [] if msg.text is None else self.apply_link_text(msg.text)
            problems += self.apply_link_fields(msg.fields)
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

    def apply_link_text(self, field: str) -> list:
        """A link's ``text=`` (the Text page's); the sentences for what was left out."""
        return ["this page trains on no text; the link's text= was ignored"]

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
