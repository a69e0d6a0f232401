"""explain.record's tape: the records are built when first read, exactly as if built during
the step, from copies taken at the time; nothing of the step is kept alive, and readers in
other threads see a whole recording."""
import copy
import gc
import threading
import time
import weakref

import numpy as np
import pytest

import glassnet
from glassnet import nn, optim
from glassnet.explain import record
from glassnet.nn import functional as F


def _model():
    glassnet.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))


def _sgd_step():
    """A recorded SGD step of ``_model()``, not read yet."""
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with record(model, opt) as step:
        F.mse_loss(model(glassnet.ones(3)), glassnet.tensor([1.0])).backward()
        opt.step()
    return step


def _slowed(monkeypatch, owner, name: str) -> None:
    """``owner.name`` made 50 ms slower, so that a second thread comes in while it runs."""
    original = getattr(owner, name)

    def slow(*args, **kwargs):
        time.sleep(0.05)
        return original(*args, **kwargs)
    monkeypatch.setattr(owner, name, slow)


def _two_readers(read) -> list:
    """``read()`` in a thread and, 10 ms later, here; their results."""
    seen = []
    first = threading.Thread(target=lambda: seen.append(read()))
    first.start()
    time.sleep(0.01)
    seen.append(read())
    first.join()
    return seen


def _spiral_step(read_inside: bool):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = glassnet.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    t = glassnet.tensor([[0.3], [-0.2]])
    with record(model, opt, names={"t": t}) as step:
        out = model(x * 2.0)
        if read_inside:
            assert [op.op for op in step.ops] == ["Mul", "Linear", "Relu", "Linear"]
            assert step.output_ref is not None and len(step.module_calls) == 4
        loss = F.mse_loss(out, t)
        opt.zero_grad()
        loss.backward()
        if read_inside:
            assert step.ops[-1].grad_out is not None
        opt.step()
    return step


def test_records_are_the_same_read_inside_the_block_or_after():
    inside, after = _spiral_step(read_inside=True), _spiral_step(read_inside=False)
    assert inside.to_json(detail="full") == after.to_json(detail="full")
    assert inside.effect.loss_after == after.effect.loss_after


def test_values_are_those_the_ops_saw_although_records_are_built_later():
    model = _model()
    x = glassnet.tensor([[1.0, -2.0, 0.5]])
    with record(model) as step:
        y = model(x)
        x.mul_(10.0)                            # x changed in place after the model read it
        (y * x.sum()).sum()                     # ... and read again, changed (no backward:
                                                # torch and glassnet refuse it after mul_)
    x.mul_(0.0)                                 # after the block: the records must not move
    ops = step.ops                               # built now, from the tape
    np.testing.assert_array_equal(ops[0].input_values[0], [[1.0, -2.0, 0.5]])
    np.testing.assert_array_equal(step.leaves[0].value, [[1.0, -2.0, 0.5]])
    total = next(op for op in ops if op.op == "Sum")
    np.testing.assert_array_equal(total.input_values[0], [[10.0, -20.0, 5.0]])
    assert total.inputs[0].kind == "leaf"        # the same leaf x, at a later version


def test_an_unread_recording_is_freed_without_the_garbage_collector():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    gc.disable()
    try:
        for read in (False, True):
            with record(model, opt) as step:
                model(glassnet.ones(3)).sum().backward()
                opt.step()
            if read:
                assert step.effect.loss_after is not None and step.params
            alive = weakref.ref(step)
            del step
            assert alive() is None, "no reference cycle keeps a recording (and its copies) alive"
    finally:
        gc.enable()


def test_a_recording_can_be_copied():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with record(model, opt) as step:
        model(glassnet.ones(3)).sum().backward()
        opt.step()
    twin = copy.deepcopy(step)
    assert twin.to_json(detail="full") == step.to_json(detail="full")


def test_two_threads_reading_a_recording_at_once_both_see_it_whole(monkeypatch):
    from glassnet.explain.tape import Tape
    step = _sgd_step()
    _slowed(monkeypatch, Tape, "_build")           # the first reader is still building
    seen = _two_readers(lambda: (len(step.ops), len(step.params),
                                 all(op.grad_out is not None for op in step.ops)))
    assert seen == [(len(step.ops), 4, True)] * 2 and len(step.ops) >= 4


def test_a_second_reader_waits_until_the_first_has_finished_the_recording(monkeypatch):
    import glassnet.explain.recorder as recorder
    step = _sgd_step()
    _slowed(monkeypatch, recorder, "param_records")  # the last part of the build
    seen = _two_readers(lambda: (len(step.params), step.effect))
    assert all(params == 4 and effect is not None and effect.loss_after is not None
               for params, effect in seen)


def test_op_attributes_are_those_at_forward_time():
    class Scale(glassnet.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight):
            ctx.weight, ctx.n = weight, 3
            return x * weight

        @staticmethod
        def backward(ctx, g):
            w = ctx.weight
            del ctx.weight                              # backward frees what it needed
            ctx.n = -1
            return g * w, None

    model = nn.Sequential(nn.Linear(3, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with record(model, opt) as step:
        loss = F.mse_loss(Scale.apply(model(glassnet.ones(2, 3)), 0.5), glassnet.zeros(2, 1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert [op.attrs for op in step.ops if op.op == "Scale"] == [{"n": 3, "weight": 0.5}]


def test_a_read_inside_the_block_does_not_let_ids_be_reused():
    class Split(glassnet.autograd.Function):          # its Output nodes are not observed
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, a, b):
            return a * 2 + b * 3

    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    with record(model, opt) as step:
        h = model(x)
        with glassnet.no_grad():
            h.mean()                                    # a node only the recorder holds
        index = len(step.ops) - 1                       # a read inside the block
        a, b = Split.apply(h)                           # new nodes, which could take its id
        loss = (a * b).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    op = step.ops[index]
    assert op.op == "Mean" and not op.requires_grad and op.grad_out is None


def test_an_unread_recording_keeps_copies_not_the_steps_tensors():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = glassnet.ones(2, 3)
    with record(model, opt) as step:
        h = model[0](x)
        F.mse_loss(model[2](model[1](h)), glassnet.zeros(2, 1)).backward()
        opt.step()
    hidden = weakref.ref(h)
    del h
    gc.collect()
    assert hidden() is None, "the recording holds a copy of h, not h"
    assert step.model_args is None
    np.testing.assert_allclose(step.ops[0].output, step.ops[1].input_values[0])


def test_the_dtype_is_known_before_anything_is_read():
    a = glassnet.tensor([1, 2], dtype=glassnet.exact)
    with record() as step:
        (a * a).sum()
    assert step.dtype == "exact" and step.exact


def test_a_record_is_used_once():
    model = _model()
    recorder = record(model)
    with recorder:
        model(glassnet.ones(3))
    with pytest.raises(RuntimeError, match="make a new record"):
        with recorder:
            pass


def test_an_unread_recording_does_not_keep_the_callers_tensors_or_an_unused_model():
    model, unused = _model(), _model()
    w = glassnet.tensor([2.0, -1.0], requires_grad=True)
    with record(unused, names={"w": w}) as step:
        (w * w).sum().backward()
    alive = weakref.ref(w), weakref.ref(unused)
    del w, unused
    gc.collect()
    assert [ref() for ref in alive] == [None, None]
    assert [p.name for p in step.params][-1] == "w" and step.params[-1].grad is not None
    del model


def test_two_threads_asking_for_the_effect_both_get_it(monkeypatch):
    import glassnet.explain.effect as effect
    step = _sgd_step()
    step.ops                                            # built; the effect is still to compute
    _slowed(monkeypatch, effect, "compute_effect")
    seen = _two_readers(lambda: step.effect)
    assert all(e is not None and e.loss_after is not None for e in seen)
    assert seen[0] is seen[1], "computed once"


def test_an_effect_read_again_while_it_is_computed_is_computed_once():
    calls = []
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)

    def loss_fn(output, target=None):
        calls.append(1)
        repr(step)                                      # (as logging the recording would)
        return F.mse_loss(output, glassnet.tensor([1.0]))
    with record(model, opt, loss_fn=loss_fn) as step:
        F.mse_loss(model(glassnet.ones(3)), glassnet.tensor([1.0])).backward()
        opt.step()
    assert step.effect.loss_after is not None and len(calls) == 1


def test_computing_one_effect_does_not_hold_up_another_recording(monkeypatch):
    import glassnet.explain.effect as effect
    slow, small = _sgd_step(), _sgd_step()
    small.ops
    release, started = threading.Event(), threading.Event()
    compute = effect.compute_effect

    def held(*args, **kwargs):                          # slow's effect waits until we say so
        started.set()
        release.wait(10)
        return compute(*args, **kwargs)
    monkeypatch.setattr(effect, "compute_effect", held)
    worker = threading.Thread(target=lambda: slow.effect)
    worker.start()
    started.wait(10)
    monkeypatch.setattr(effect, "compute_effect", compute)
    reader = threading.Thread(target=lambda: small.effect)
    reader.start()
    reader.join(5)
    held_up = reader.is_alive()
    release.set()
    worker.join()
    reader.join()
    assert not held_up and small.effect.loss_after is not None and slow.effect.loss_after is not None
