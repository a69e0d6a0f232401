"""The process's turns (playground/turns.py): who computes next, and the quick answer frame."""
from __future__ import annotations

import threading
import time

import numpy as np

from glassnet.playground import turns as TU
from glassnet.playground.frames import decode_arrays
from glassnet.playground.text import TextTrainer
from glassnet.playground.text_protocol import TextConfig
from glassnet.playground.turns import ANSWER, FRAME, TRAIN, Turns


def wait_for(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.001)


def queue_up(turns, claims):
    """Hold the turn, start one thread per (name, claim, kwargs) waiting for it, in that order;
    release; the names in the order the turn went to them, with what each was granted."""
    order = []

    def run(name, claim, kw):
        with turns.turn(claim, **kw) as granted:
            order.append((name, granted))

    threads = []
    with turns.turn(FRAME):
        for name, claim, kw in claims:
            th = threading.Thread(target=run, args=(name, claim, kw))
            th.start()
            threads.append(th)
            wait_for(lambda: turns.waiting == len(threads))
    for th in threads:
        th.join(10)
    return order


def test_a_message_goes_first_then_frames_then_training():
    turns = Turns()
    inbox = [1]                     # urgent() is asked when the turn is handed on: a message that
    order = queue_up(turns, [("train", TRAIN, {}), ("frame", FRAME, {}),
                             ("asked to train, has a message", TRAIN, {"urgent": lambda: bool(inbox)}),
                             ("answer", ANSWER, {})])
    assert order == [("asked to train, has a message", ANSWER), ("answer", ANSWER), ("frame", FRAME),
                     ("train", TRAIN)]
    assert not turns.waiting and turns._holder is None


def test_a_training_claim_whose_frame_came_due_waits_as_a_frame(monkeypatch):
    turns = Turns()
    past = time.perf_counter() - 1
    order = queue_up(turns, [("train early", TRAIN, {}), ("frame", FRAME, {}),
                             ("train, frame due", TRAIN, {"due": past}),
                             ("train, frame later", TRAIN, {"due": past + 3600})])
    assert order == [("frame", FRAME), ("train, frame due", FRAME), ("train early", TRAIN),
                     ("train, frame later", TRAIN)]


def test_training_that_waited_long_is_served_among_frames_unless_its_frames_fall_behind(monkeypatch):
    monkeypatch.setattr(TU, "AGING", 0.0)
    turns = Turns()
    order = queue_up(turns, [("frame", FRAME, {}), ("old training", TRAIN, {}),
                             ("training, frames behind", TRAIN, {"ages": False}), ("frame 2", FRAME, {})])
    assert order == [("frame", FRAME), ("old training", TRAIN), ("frame 2", FRAME),
                     ("training, frames behind", TRAIN)]


def test_the_turn_is_reentrant_and_a_stuck_holder_does_not_stop_the_others(monkeypatch):
    turns = Turns()
    with turns.turn(FRAME) as a:
        with turns.turn(TRAIN) as b:           # the holder keeps it
            assert turns.held() and (a, b) == (FRAME, TRAIN)
    assert turns._holder is None
    monkeypatch.setattr(TU, "WAIT_LIMIT", 0.05)
    stuck, went = threading.Event(), []

    def holder():
        with turns.turn(FRAME):
            stuck.wait(10)

    th = threading.Thread(target=holder)
    th.start()
    wait_for(lambda: turns._holder is not None)
    with turns.turn(ANSWER):                  # waits WAIT_LIMIT, then computes without the turn
        went.append(1)
    assert went and not turns.waiting
    stuck.set()
    th.join(10)
    assert turns._holder is None


def test_a_quick_frame_answers_with_the_recorded_views_and_grows_no_sample():
    t = TextTrainer(TextConfig(n_layer=1, n_head=2, n_embd=8, block_size=8))
    t.record_every = 3600.0
    t.crowd = 1
    first = decode_arrays(t.frame(playing=True))
    calls = []
    original = t.record_window
    t.record_window = lambda *a, **k: calls.append(1) or original(*a, **k)
    t.train_step()
    t.apply({"learning_rate": 0.01})           # the change a learner waits for
    t.quick = True
    quick = decode_arrays(t.frame(playing=True))
    t.quick = False
    assert not calls and quick["step"] == 1 and quick["recorded_step"] == 0 and quick["rev"] > first["rev"]
    assert quick["sample"]["text"] == first["sample"]["text"]              # no forward pass for the sample
    np.testing.assert_array_equal(quick["data"]["attention"], first["data"]["attention"])
    t.apply({"n_layer": 2})                    # a new model: its views are recorded even in a quick frame
    t.quick = True
    rebuilt = decode_arrays(t.frame(playing=True))
    t.quick = False
    assert calls and rebuilt["data"]["attention"].shape[0] == 2
