"""Recordings of the two seed examples, made once per test session (they are read-only)."""
import pytest

from glassnet.lessons.examples import diagonal_flip, xor_worked_example


@pytest.fixture(scope="session")
def flip_exact():
    return diagonal_flip(exact=True)


@pytest.fixture(scope="session")
def flip_f32():
    return diagonal_flip(exact=False)


@pytest.fixture(scope="session")
def flip_f32_batch():
    return diagonal_flip(exact=False, rows=2, checks=False)


@pytest.fixture(scope="session")
def xor():
    return xor_worked_example()
