"""glassnet.observe.observer: what it sees of an unmodified torch program, and that it changes nothing."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from glassnet.observe import StepLimitReached, observe  # noqa: E402


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    return X, (X[:, 0] * X[:, 1] > 0).float().unsqueeze(1)


def _train(steps=5, zero_grad=True, clip=None, seed=0, opt_cls=torch.optim.SGD):
    """A plain torch loop; returns the model, the optimizer and the losses it printed."""
    torch.manual_seed(seed)
    X, y = _data()
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = opt_cls(model.parameters(), lr=0.1)
    crit = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(steps):
        if zero_grad:
            opt.zero_grad()
        loss = crit(model(X), y)
        loss.backward()
        if clip == "before":
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if clip == "after":
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        losses.append(loss.item())
    return model, opt, losses


def test_one_step_record_per_optimizer_step_with_the_losses_given_to_backward():
    with observe() as seen:
        _, _, losses = _train(steps=7)
    assert len(seen.steps) == 7
    assert [s.loss for s in seen.steps] == pytest.approx(losses, rel=0, abs=0)
    assert seen.steps[0].optimizer == "SGD" and seen.steps[0].lr == pytest.approx(0.1)


def test_observation_changes_no_number():
    _, _, plain = _train(steps=10, opt_cls=torch.optim.Adam)
    with observe(values=True):
        _, _, seen = _train(steps=10, opt_cls=torch.optim.Adam)
    np.testing.assert_allclose(seen, plain, rtol=1e-6)


def test_modules_are_named_from_their_root_and_measured():
    with observe() as seen:
        model, _, _ = _train(steps=1)
    calls = {c.where: c for c in seen.steps[0].calls}
    assert calls["0"].kind == "layer" and calls["0"].shape == (64, 8)
    assert calls["1"].kind == "relu"
    active = calls["1"].stats["active"]
    assert active.shape == (8,) and active.dtype == bool
    with torch.no_grad():   # the same number, computed here: units with output > 0 for some sample
        expected = (model[1](model[0](_data()[0])) > 0).any(0).numpy()
    assert calls["Sequential"].kind == "root"
    loss = next(c for c in seen.steps[0].calls if c.kind == "binary_cross_entropy_with_logits")
    assert loss.input_from == "layer" and loss.stats["input_where"] == "2"   # the innermost producer
    assert loss.stats["target"]["counts"].keys() == {0.0, 1.0}
    assert active.sum() >= 1 and expected.shape == active.shape


def test_gradient_and_update_norms_match_the_parameters():
    with observe(values=True) as seen:
        _train(steps=2)
    stat = seen.steps[1].params["0.weight"]
    before, grad, after = stat.values["before"], stat.values["grad"], stat.values["after"]
    assert stat.grad_norm == pytest.approx(np.linalg.norm(grad), rel=1e-5)
    assert stat.update_norm == pytest.approx(np.linalg.norm(after - before), rel=1e-5)
    np.testing.assert_allclose(after, before - 0.1 * grad, rtol=1e-5, atol=1e-7)  # SGD: w − lr·g
    assert stat.in_optimizer and stat.requires_grad


class _Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 4), nn.Linear(4, 3)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.sigmoid(self.fc1(x) * 10)), dim=1)


def test_functions_are_seen_with_the_layer_they_follow():
    torch.manual_seed(0)
    model, X = _Functional(), torch.randn(16, 2) * 5
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with observe() as seen:
        out = model(X)
        F.cross_entropy(out, torch.zeros(16, dtype=torch.long)).backward()
        opt.step()
    kinds = {c.kind: c for c in seen.steps[0].calls}
    assert kinds["sigmoid"].where.endswith("→ sigmoid")
    assert 0 < kinds["sigmoid"].stats["saturated"] <= 1
    assert kinds["softmax"].where == "fc2 → softmax" and kinds["softmax"].stats["dim_size"] == 3
    assert kinds["cross_entropy"].input_from == "softmax"


def test_a_gradient_kept_across_step_is_reported_stale():
    with observe() as seen:
        _train(steps=3, zero_grad=False)
    assert seen.steps[0].stale_grads == []
    assert set(seen.steps[1].stale_grads) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    with observe() as clean:
        _train(steps=3)
    assert all(not s.stale_grads for s in clean.steps)
    with observe(dense=1, stride=100) as sparse:       # seen on unmeasured steps too
        _train(steps=4, zero_grad=False)
    assert [bool(s.stale_grads) for s in sparse.steps] == [False, True, True, True]


def test_clipping_after_the_step_is_told_apart():
    with observe() as after:
        _train(steps=3, clip="after")
    with observe() as before:
        _train(steps=3, clip="before")
    assert [c.after_step for s in after.all_steps() for c in s.clips] == [True] * 3
    assert [c.after_step for s in before.steps for c in s.clips] == [False] * 3


def test_evaluation_in_training_mode_is_seen_on_unmeasured_steps():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = _data()
    with observe(dense=1, stride=100) as seen:
        for _ in range(3):
            opt.zero_grad()
            F.mse_loss(model(X), y).backward()
            opt.step()
            with torch.no_grad():
                model(X)
    evals = [c for s in seen.all_steps() for c in s.calls if c.kind == "dropout" and not c.grad_enabled]
    assert len(evals) == 3 and all(c.training for c in evals)


def test_max_steps_stops_the_program_and_everything_is_removed():
    import torch.optim.optimizer as oh
    from torch.nn.modules import module as mm
    backward, clip = torch.Tensor.backward, torch.nn.utils.clip_grad_norm_
    with pytest.raises(StepLimitReached):
        with observe(max_steps=2) as seen:
            _train(steps=10)
    assert len(seen.steps) == 2
    assert not mm._global_forward_hooks and not mm._global_forward_pre_hooks
    assert not oh._global_optimizer_pre_hooks and not oh._global_optimizer_post_hooks
    assert torch.Tensor.backward is backward and torch.nn.utils.clip_grad_norm_ is clip
    assert torch.overrides._get_current_function_mode_stack() == []


def test_a_loss_that_raises_is_recorded_before_the_error():
    logits = torch.randn(4, 3, requires_grad=True)
    with observe() as seen:
        with pytest.raises(IndexError):
            F.cross_entropy(logits, torch.tensor([0, 1, 2, 3]))
    call = seen.current.calls[-1]
    assert call.kind == "cross_entropy" and call.stats["raised"]
    assert call.stats["target"]["max"] == 3.0


def test_the_observation_imports_without_torch():
    import subprocess
    import sys
    code = ("import sys; sys.modules['torch'] = None; import glassnet.observe as o; "
            "print(o.Step(0).empty)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_loop_without_an_optimizer_is_cut_into_steps_at_backward():
    """`w -= lr * w.grad` and `p.data += ...`: each backward() is a step, its update measured."""
    torch.manual_seed(0)
    w = torch.randn(3, 2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    x = torch.randn(16, 3)
    with observe(max_steps=10) as seen:
        for _ in range(4):
            loss = (x @ w + b).pow(2).mean()
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
            b.data += -0.1 * b.grad
            w.grad = None
            b.grad = None
    assert len(seen.steps) == 4 and not seen.optimizers
    first = seen.steps[0]
    assert first.optimizer == "manual update" and first.loss is not None
    stats = list(first.params.values())
    assert [s.shape for s in stats] == [(3, 2), (2,)]
    assert all(s.grad_norm > 0 and s.update_norm > 0 for s in stats)
    assert stats[0].update_norm == pytest.approx(0.1 * stats[0].grad_norm, rel=1e-5)


def test_backward_without_an_update_has_steps_that_change_nothing():
    model = nn.Linear(3, 1)
    x = torch.randn(8, 3)
    with observe() as seen:
        for _ in range(3):
            model(x).pow(2).mean().backward()
    assert len(seen.steps) == 3
    assert all(p.update_norm == 0.0 for s in seen.steps for p in s.params.values())
    assert {p.name for p in seen.steps[0].params.values()} == {"weight", "bias"}


def test_sequence_records_last_step_mixing_view_key_padding_and_attention_logits():
    """Indexing at the last step of a 3-D output, a view that keeps the class axis last without a
    permute, MultiheadAttention's key-padding mask, and the spread of attention logits."""
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    lin = nn.Linear(8, 3)
    opt = torch.optim.SGD([*mha.parameters(), *lin.parameters()], lr=0.1)
    x, mask = torch.randn(4, 5, 8), torch.zeros(4, 5, dtype=torch.bool)
    mask[:, 3:] = True
    with observe(keep_batches=1) as seen:
        out, _ = mha(x, x, x, key_padding_mask=mask)
        scores = lin(out).transpose(1, 2)                      # (4, 3, 5)
        wei = (x @ x.transpose(1, 2)).softmax(-1)              # unscaled logits of 8 dims
        loss = F.cross_entropy(scores.reshape(-1, 3), torch.zeros(20, dtype=torch.long)) \
            + lin(out[:, -1]).sum() * 0 + wei.sum() * 0
        out.reshape(-1, 8)                                     # (4, 5, 8) → (20, 8): fine
        loss.backward()
        opt.step()
    calls = seen.steps[0].calls
    kinds = [c.kind for c in calls]
    assert kinds.count("axes_mixed") == 1 and kinds.count("last_step") == 1
    mixed = next(c for c in calls if c.kind == "axes_mixed")
    assert mixed.stats == {"input_shape": (4, 3, 5), "output_shape": (20, 3)}
    assert next(c for c in calls if c.kind == "cross_entropy").input_from == "axes_mixed"
    assert next(c for c in calls if c.kind == "last_step").stats["axis"] == 1
    padding = next(c for c in calls if c.kind == "key_padding")
    np.testing.assert_array_equal(padding.stats["masked"], mask.numpy())
    softmax = next(c for c in calls if c.kind == "softmax" and "logit_std" in c.stats)
    z = (x @ x.transpose(1, 2)).reshape(-1, 5)
    assert softmax.stats["logit_std"] == pytest.approx(float(z.std(-1, unbiased=False).mean()), rel=1e-4)
    assert 0 <= softmax.stats["onehot"] <= 1
