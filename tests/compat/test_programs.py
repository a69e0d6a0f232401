"""The corpus: PyTorch-style programs print the same under glassnet (posing as torch) as under torch."""
from pathlib import Path

import pytest

from .runner import PROGRAMS, compare, differences

pytest.importorskip("torch", reason="torch is the oracle for the corpus")

CORPUS = sorted(PROGRAMS.glob("*.py"))


def test_the_corpus_has_at_least_fifteen_programs():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("program", CORPUS, ids=[p.stem for p in CORPUS])
def test_program_prints_what_torch_prints(program: Path):
    found = compare(program)
    assert not found, "\n".join(found)


def test_the_comparison_catches_a_changed_number_or_line():
    assert differences("loss 0.1234\n", "loss 0.1235\n") == []          # a last-digit rounding flip
    assert differences("loss 0.1234\n", "loss 0.1237\n")                # a real difference
    assert differences("tensor([1, 2])\n", "tensor([1, 3])\n")          # integers are exact
    assert differences("torch.float32\n", "glassnet.float32\n") == []
    assert differences("a\nb\n", "a\n")
