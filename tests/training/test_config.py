"""The environment is read once, at the edge: ``resolve(..., environ)`` (the CLI passes
``os.environ``) turns torchrun's variables into ``spec.rank``; ``fit`` and everything below it
take the spec as given and read no launcher variables themselves."""
import pytest

from glassnet import training
from glassnet.training.config import Rank, torchrun_rank

TORCHRUN = {"TORCHELASTIC_RUN_ID": "r1", "RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1",
            "LOCAL_WORLD_SIZE": "2"}


def test_torchrun_rank_reads_the_agents_variables():
    assert torchrun_rank(TORCHRUN) == Rank(rank=3, world_size=4, local_rank=1, local_world_size=2)
    assert torchrun_rank({"RANK": "0", "WORLD_SIZE": "1"}) is None   # not started by an agent
    assert torchrun_rank({}) is None


def test_under_torchrun_the_torch_engine_becomes_one_worker_of_its_run():
    spec = training.resolve({"data": "xor", "engine": "torch", "nproc": 8}, environ=TORCHRUN)
    assert spec.rank == Rank(3, 4, 1, 2)
    assert (spec.nproc, spec.nnodes) == (2, 2)   # torchrun decides, --nproc is ignored


def test_without_torchrun_or_with_glassnets_engine_the_spec_is_the_flags():
    assert training.resolve({"data": "xor", "engine": "torch"}, environ={}).rank is None
    spec = training.resolve({"data": "xor"}, environ=TORCHRUN)
    assert spec.rank is None and (spec.nproc, spec.nnodes) == (1, 1)


def test_fit_does_not_rewrite_its_spec_from_the_environment(monkeypatch):
    """In a process whose environment looks like torchrun's, a spec resolved without it trains
    in this one process (before, fit took nproc/nnodes from the environment and became rank 3)."""
    pytest.importorskip("torch")
    for key, value in TORCHRUN.items():
        monkeypatch.setenv(key, value)
    spec = training.resolve({"data": "xor", "epochs": 1, "engine": "torch"})   # environ not given
    run = training.fit(spec, progress=False)
    assert run is not None and run.spec.rank is None
    assert (run.spec.nproc, run.spec.nnodes) == (1, 1)


def test_the_trace_is_left_when_training_fails(monkeypatch, tmp_path):
    """``--trace`` follows the epochs inside one ``with`` block: a failure leaves it too (the
    optimizer's step is its own again, no observer stays installed)."""
    from glassnet.autograd import engine
    from glassnet.training import loop
    seen = {}

    def failing(spec, prepared, runner, progress):
        seen["optimizer"] = runner.optimizer
        assert "step" in vars(runner.optimizer) and engine.STATE.observers   # followed
        raise RuntimeError("simulated")

    monkeypatch.setattr(loop, "run_epochs", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        training.fit(training.resolve({"data": "xor", "epochs": 1}), progress=False,
                     trace=tmp_path / "trace")
    assert "step" not in vars(seen["optimizer"]) and engine.STATE.observers == ()
