"""The runnable examples in the optimizers' and schedulers' docstrings give what they show."""
import doctest
import importlib

import pytest

MODULES = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "radam", "adamax", "adadelta", "asgd", "lbfgs",
           "lr_scheduler"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"glassnet.optim.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
