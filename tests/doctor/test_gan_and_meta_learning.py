"""The doctor on programs with more than one optimizer or a second-order inner loop: optimizers
that take turns (a GAN) are told apart from models trained one after another; torch's
InstanceNorm is not a batch norm left in training mode; a bias whose gradient is exactly 0 while
its layer's weight learns is a note, not a frozen layer.  (The whole GAN/MAML programs are in
healthy/: dcgan_digits, wgan_gp_digits, maml_sine and their glassnet twins.)"""
import textwrap
from pathlib import Path

import pytest

from glassnet.doctor.observed import Observed
from glassnet.doctor.runner import diagnose_script
from glassnet.observe.records import ParamStat, Step


def _steps(ids):
    return [Step(i, losses=[1.0], optimizer="Adam", optimizer_id=k) for i, k in enumerate(ids)]


def test_optimizers_that_take_turns_are_told_from_models_trained_one_after_another():
    assert Observed(steps=_steps([0, 1] * 10)).optimizers_take_turns == 2
    assert Observed(steps=_steps([0, 0, 0, 1] * 6)).optimizers_take_turns == 2   # WGAN: 3 critic steps
    assert Observed(steps=_steps([0] * 10 + [1] * 10)).optimizers_take_turns == 0
    assert Observed(steps=_steps([0] * 20)).optimizers_take_turns == 0


def _stat(name, grad):
    return ParamStat(name, (3,), True, True, grad, 1.0, 0.0)


def test_a_zero_gradient_bias_is_a_note_only_when_its_weight_learns():
    from glassnet.doctor.checks_training import check_optimizer_coverage
    from glassnet.doctor.observed import Thresholds
    steps = [Step(i, params={"fc.weight": _stat("fc.weight", w), "fc.bias": _stat("fc.bias", 0.0)})
             for i, w in enumerate([0.5, 0.4, 0.3])]
    found = check_optimizer_coverage(Observed(steps=steps), Thresholds())
    assert [(f.id, f.severity, f.where["parameter"]) for f in found] == [("frozen", "info", "fc.bias")]
    dead = [Step(i, params={"fc.weight": _stat("fc.weight", 0.0), "fc.bias": _stat("fc.bias", 0.0)})
            for i in range(3)]                 # the whole layer gets 0 (dead units after it)
    found = check_optimizer_coverage(Observed(steps=dead), Thresholds())
    assert [(f.id, f.severity) for f in found] == [("frozen", "warning")]


INSTANCE_NORM = """
import torch, torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.{norm}(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(16, 1, 4, 4), torch.randint(0, 3, (16,))
for step in range(30):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():           # an evaluation without model.eval()
        model(torch.randn(4, 1, 4, 4))
"""


@pytest.mark.parametrize("norm, warned", [("InstanceNorm2d", False), ("BatchNorm2d", True)])
def test_an_instance_norm_under_no_grad_is_not_a_batch_norm_left_in_training_mode(norm, warned, tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "norm_eval.py"
    path.write_text(textwrap.dedent(INSTANCE_NORM.format(norm=norm)))
    report = diagnose_script(path, steps=30)
    assert ("eval-mode" in {f.id for f in report.findings}) is warned


VAE = Path(__file__).parent / "healthy" / "vae_soft_bce.py"


@pytest.mark.parametrize("lr, stalled", [("1e-3", False), ("1e-7", True)])
def test_a_soft_target_bce_is_judged_against_the_targets_entropy(lr, stalled, tmp_path):
    """A VAE's BCE against pixel intensities cannot fall below their entropy (about 1,230 of its
    1,437 here): learning is judged on the way down to that floor, and a stalled one is still told."""
    pytest.importorskip("torch")
    path = tmp_path / "vae.py"
    path.write_text(VAE.read_text().replace("lr=1e-3", f"lr={lr}"))
    found = {f.id: f for f in diagnose_script(path).findings}
    assert ("lr-too-low-or-stalled" in found) is stalled
    if stalled:
        assert "soft targets' own entropy" in found["lr-too-low-or-stalled"].message


def test_a_parameter_whose_optimizer_first_steps_later_is_in_an_optimizer():
    """A WGAN's critic steps 5 times before the generator's optimizer steps (and is seen) once;
    the generator's parameters, given gradients by the critic's loss meanwhile, are held."""
    from glassnet.doctor.checks_training import check_optimizer_coverage
    from glassnet.doctor.observed import Thresholds

    def step(i, gen_held):
        gen = ParamStat("gen.weight", (3,), gen_held, True, 0.2, 1.0, 0.0)
        return Step(i, params={"critic.weight": _stat("critic.weight", 0.5), "gen.weight": gen})
    steps = [step(i, False) for i in range(5)] + [step(5, True)]
    assert check_optimizer_coverage(Observed(steps=steps), Thresholds()) == []
    never = [step(i, False) for i in range(6)]
    assert [f.id for f in check_optimizer_coverage(Observed(steps=never), Thresholds())] == ["param-not-in-optimizer"]


# -- what a review of this round found (scripts in cases_review/, run on both engines) ----------
REVIEW = Path(__file__).parent / "cases_review"


def _findings(name, engine, tmp_path, **replace):
    text = (REVIEW / name).read_text()
    if engine == "torch":
        pytest.importorskip("torch")
        text = text.replace("import glassnet as torch", "import torch").replace("import glassnet.nn", "import torch.nn")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return {f.id: f for f in diagnose_script(path).findings}


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_an_overconfident_start_is_told_with_the_losss_own_reduction(engine, tmp_path):
    """BCEWithLogits (mean) at 3.79 on batches of 4: not 'a sum over 4 of ln 2'."""
    assert "initial-loss" in _findings("init_bad_2.py", engine, tmp_path)


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_class_sorted_data_with_gradient_accumulation_is_still_unshuffled(engine, tmp_path):
    """Two micro-batches a step: only the steps at a class boundary mix labels (not a GAN)."""
    assert "unshuffled-data" in _findings("accum_sorted.py", engine, tmp_path)


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_an_encoder_and_a_decoder_optimizer_after_one_backward_do_not_take_turns(engine, tmp_path):
    found = _findings("encdec_low.py", engine, tmp_path)
    assert "optimizers-take-turns" not in found and "lr-too-low-or-stalled" in found
    assert "optimizers-take-turns" not in _findings("encdec_low.py", engine, tmp_path, **{"1e-6": "1e-1"})


@pytest.mark.parametrize("engine", ["glassnet", "torch"])
def test_a_loop_on_autograd_grad_is_said_to_be_not_followed(engine, tmp_path):
    found = _findings("agrad.py", engine, tmp_path)
    assert found["no-training"].severity == "info"
    assert "autograd.grad ran 300 times" in found["no-training"].message
