"""The import paths people use keep working across redesigns: torch's (``import glassnet as torch``
then ``torch.nn``, ``torch.utils.data``) and glassnet's documented ones (``glassnet.datasets``,
``glassnet.checkpoint``), each in a fresh interpreter so that nothing imported before helps."""
import subprocess
import sys

import pytest

STATEMENTS = [
    "import glassnet as torch; torch.nn.Linear(2, 1); torch.optim.SGD; torch.utils.data.DataLoader",
    "import glassnet.nn.functional as F; F.relu",
    "from glassnet.utils.data import DataLoader, TensorDataset, random_split",
    "import glassnet.datasets; glassnet.datasets.spiral()",
    "from glassnet.datasets import spiral, load_csv",
    "from glassnet import datasets; datasets.xor()",
    "import glassnet.checkpoint; from glassnet.checkpoint import rebuild",
    "import glassnet; glassnet.checkpoint.rebuild",
    "from glassnet.serialization import save, load",
    "from glassnet.autograd import Function, gradcheck; from glassnet.autograd.function import once_differentiable",
    "import glassnet.random, glassnet.cuda, glassnet.backends.cudnn",
    "from glassnet.nn import Module, Parameter",
    "from glassnet import explain, doctor, lessons, viz, training, bridge, observe, playground, cli",
    "from glassnet.bridge import to_torch, from_torch, TorchObserver",
    "from glassnet.cli import main",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_path_imports_in_a_fresh_interpreter(statement):
    done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_path_that_does_not_exist_fails():
    """(The check can fail.)"""
    done = subprocess.run([sys.executable, "-c", "import glassnet.no_such_module"], capture_output=True)
    assert done.returncode != 0
