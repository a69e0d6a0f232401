"""``--engine torch --nproc 2``: DistributedDataParallel over torch.distributed (gloo, loopback),
launched by the elastic agent.  Two processes with per-rank batch b end where one process with
batch 2b does (float64, 1e-10); the checkpoint is glassnet's; a dead worker is one clean error.
Each test launches real processes: a few seconds each on two cores."""
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
from glassnet import training  # noqa: E402
from glassnet.cli import main  # noqa: E402
from glassnet.training.distributed import launch  # noqa: E402
from glassnet.training.model import initial_model  # noqa: E402
from glassnet.training.torch_runner import ShardedBatches, train_state  # noqa: E402

from . import faults  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="this torch build has no torch.distributed")


def test_sharded_batches_split_every_global_batch_between_the_ranks():
    steps = [np.array([7, 3, 9, 1, 4]), np.array([0, 2, 8]), np.array([5])]
    dataset = list(range(10))
    shares = []
    for rank in range(2):
        sampler = ShardedBatches(dataset, num_replicas=2, rank=rank)
        sampler.set_steps(steps)
        assert len(sampler) == 3
        shares.append(list(sampler))
    assert shares[0] == [[7, 9, 4], [0, 8], [5]] and shares[1] == [[3, 1], [2], []]
    for step, a, b in zip(steps, *shares):
        assert sorted(a + b) == sorted(step.tolist())


def test_two_processes_with_batch_b_equal_one_process_with_batch_2b():
    """k SGD steps (3 epochs of 160 samples in global batches of 2b = 50: the last of each
    epoch is 10 samples, split 5 + 5), float64, to 1e-10."""
    spec = training.resolve({"data": "circle", "optimizer": "sgd", "lr": 0.5, "epochs": 3,
                             "batch_size": 50, "engine": "torch", "nproc": 2})
    prepared = training.prepare(spec)
    state, history = launch(spec, progress=False, dtype="float64")
    one_state, one_history = train_state(spec, prepared, progress=False, dtype="float64")
    assert state.keys() == one_state.keys()
    for key in state:
        assert state[key].dtype == np.float64
        np.testing.assert_allclose(state[key], one_state[key], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(history["loss"], one_history["loss"], rtol=1e-10)
    assert not np.allclose(state["0.weight"], initial_model(spec, prepared)
                           .double().state_dict()["0.weight"].numpy())   # it did train


def test_digits_on_two_processes_equals_one_and_the_checkpoint_serves_predict(capsys, tmp_path):
    ddp, one = tmp_path / "ddp.safetensors", tmp_path / "one.safetensors"
    common = ["train", "--data", "digits", "--epochs", "2", "--engine", "torch", "-q"]
    assert main([*common, "--nproc", "2", "--save", str(ddp)]) == 0
    out = capsys.readouterr().out
    assert "2 processes (DistributedDataParallel)" in out and out.count("saved the model") == 1
    assert main([*common, "--save", str(one)]) == 0
    capsys.readouterr()
    a, b = glassnet.load(str(ddp)), glassnet.load(str(one))
    assert a.keys() == b.keys()
    for key in a:   # float32: the all-reduce sums in another order, so not bit for bit
        np.testing.assert_allclose(a[key].numpy(), b[key].numpy(), rtol=1e-5, atol=1e-5)
    model = training.build_model(64, [64], "relu", 10)
    model.load_state_dict(a)
    assert main(["predict", "--model", str(ddp), "--data", "digits", "--show", "0"]) == 0
    accuracy = float(capsys.readouterr().out.split("accuracy on 1797 samples: ")[1].split("%")[0])
    assert accuracy > 90
    assert main(["explain", "--model", str(ddp), "--data", "digits", "--rows", "2", "-f", "json"]) == 0
    import json

    from glassnet.explain import validate
    text = capsys.readouterr().out
    validate(json.loads(text))
    assert '"0.weight[0, 0]"' in text and "on 2 samples (glassnet)" in text


def test_a_killed_worker_is_one_clean_error_and_nothing_is_saved(tmp_path):
    spec = training.resolve({"data": "xor", "epochs": 2, "engine": "torch", "nproc": 2,
                             "save": str(tmp_path / "m.safetensors")})
    with pytest.raises(training.TrainingError, match=r"worker rank 1 \(pid \d+\) was killed by "
                                                     r"SIGKILL; the other workers were stopped"):
        launch(spec, progress=False, entrypoint=faults.die_on_rank_1)
    assert not (tmp_path / "m.safetensors").exists()


def test_a_failing_worker_says_what_went_wrong():
    spec = training.resolve({"data": "xor", "epochs": 2, "engine": "torch", "nproc": 2})
    with pytest.raises(training.TrainingError, match="rank 1 .*exited with status 1 .*cannot read its data"):
        launch(spec, progress=False, entrypoint=faults.raise_on_rank_1)


def test_torchrun_runs_the_cli_directly_and_only_rank_0_reports(tmp_path):
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "PYTHONPATH": os.pathsep.join(sys.path)}
    model = tmp_path / "m.safetensors"
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node", "2", "-m", "glassnet", "train", "--data", "xor",
                           "--epochs", "3", "--engine", "torch", "--save", str(model), "-q"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("xor: 2-4-1 MLP") == 1 and "2 processes" in done.stdout
    assert training.read_architecture(model)["hidden"] == [4]


def test_a_lenet_on_two_processes_equals_one(tmp_path):
    """--model lenet crosses to torch (Conv2d, MaxPool2d, Unflatten) and trains under DDP."""
    base = {"data": "digits", "model": "lenet", "epochs": 1, "batch_size": 100, "seed": 2}
    one = training.resolve({**base, "engine": "glassnet"})
    prepared = training.prepare(one)
    ours, _ = train_state(training.resolve({**base, "engine": "torch"}), prepared, False, "float64")
    both = launch(training.resolve({**base, "engine": "torch", "nproc": 2}), False, "float64")
    state, history = both
    assert history["accuracy"][-1] > 0.3
    for key in ours:
        np.testing.assert_allclose(state[key], ours[key], rtol=1e-9, atol=1e-10)
