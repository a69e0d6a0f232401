"""The doctor sees glassnet's ``clip_grad_norm_`` as it sees torch's: clipping after
``optimizer.step()`` is named (clip-after-step); clipping before it is not."""
import glassnet
from glassnet import nn
from glassnet.doctor.engine_observe import GlassnetObserver
from glassnet.doctor.observed import Thresholds
from glassnet.doctor.runner import _observed, run_checks


def _run(clip_after_step: bool):
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    x, y = glassnet.randn(16, 4), glassnet.randn(16, 1)
    with GlassnetObserver(max_steps=None) as seen:
        for _ in range(3):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            if not clip_after_step:
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if clip_after_step:
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    return seen, [f.id for f in run_checks(_observed(seen, "glassnet"), Thresholds())]


def test_clip_after_step_is_named_for_glassnet_programs():
    seen, ids = _run(True)
    assert "clip-after-step" in ids
    clips = [c for s in seen.all_steps() for c in s.clips]
    assert len(clips) == 3 and clips[0].function == "clip_grad_norm_" and clips[0].total_norm > 0


def test_clip_before_step_is_not_named():
    assert "clip-after-step" not in _run(False)[1]
