"""torch.cuda / torch.backends answer as a CPU-only torch; torch.device; glassnet posing as torch."""
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet

ROOT = Path(__file__).resolve().parents[2]


def test_cuda_and_mps_answer_honestly():
    assert glassnet.cuda.is_available() is False and glassnet.cuda.device_count() == 0
    assert glassnet.backends.mps.is_available() is False and glassnet.backends.mps.is_built() is False
    glassnet.cuda.manual_seed_all(0)  # accepted, as torch accepts it without a GPU
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        glassnet.cuda.synchronize()


def test_device_objects_name_any_device_but_hold_only_cpu_data():
    assert repr(glassnet.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(glassnet.device("cuda", 0)) == "cuda:0" and glassnet.device("cpu") == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        glassnet.device("gpu")
    x = glassnet.ones(2, device=glassnet.device("cpu"))
    assert x.device == glassnet.device("cpu") and x.to("cpu") is x
    for move in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: glassnet.zeros(1, device="cuda:0"),
                 lambda: glassnet.nn.Linear(1, 1).to(glassnet.device("cuda"))):
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            move()
    with pytest.raises(RuntimeError, match="mps"):
        x.to("mps")


def test_device_matches_torch():
    torch = pytest.importorskip("torch")
    for spec in ("cpu", "cuda", "cuda:1", "mps", "meta"):
        assert repr(glassnet.device(spec)) == repr(torch.device(spec))
        assert str(glassnet.device(spec)) == str(torch.device(spec))


def test_glassnet_poses_as_torch_for_every_import_spelling(tmp_path):
    program = tmp_path / "p.py"
    program.write_text(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom torch import optim\n"
        "from torch.utils.data import DataLoader\nfrom torch.autograd import Function\n"
        "from torch.optim.lr_scheduler import StepLR\nimport glassnet\n"
        "assert torch is glassnet and nn is glassnet.nn and F is glassnet.nn.functional\n"
        "assert DataLoader is glassnet.utils.data.DataLoader and Function is glassnet.autograd.Function\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-m", "glassnet.compat", str(program)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_posing_refuses_when_the_real_torch_is_loaded():
    pytest.importorskip("torch")
    from glassnet.compat import pose_as_torch
    with pytest.raises(RuntimeError, match="real torch is already imported"):
        pose_as_torch()


def test_compat_command_answers_help_and_a_missing_file_in_one_line():
    import subprocess
    import sys
    ok = subprocess.run([sys.executable, "-m", "glassnet.compat", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("usage: python -m glassnet.compat")
    bad = subprocess.run([sys.executable, "-m", "glassnet.compat", "no_such_program.py"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "no such program file" in bad.stderr and "Traceback" not in bad.stderr


def test_backends_cuda_flags_answer_as_a_cpu_only_torch():
    torch = pytest.importorskip("torch")
    for lib in (glassnet, torch):
        assert lib.backends.cuda.is_built() is False
        assert lib.backends.cuda.matmul.allow_tf32 is False
        assert lib.backends.cudnn.allow_tf32 is True
    glassnet.backends.cuda.matmul.allow_tf32 = True      # nanoGPT's train.py sets it; unused on the CPU
    glassnet.backends.cuda.matmul.allow_tf32 = False


def test_torch_utils_data_submodule_paths():
    from glassnet.utils.data.dataloader import DataLoader
    from glassnet.utils.data.dataset import Dataset, TensorDataset
    assert DataLoader is glassnet.utils.data.DataLoader and Dataset is glassnet.utils.data.Dataset
    assert TensorDataset is glassnet.utils.data.TensorDataset


def test_data_parallel_function_raises_as_a_cpu_only_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        torch.nn.parallel.data_parallel(torch.nn.Linear(2, 1), torch.ones(3, 2))
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        glassnet.nn.parallel.data_parallel(glassnet.nn.Linear(2, 1), glassnet.ones(3, 2))
