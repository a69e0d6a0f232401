"""The runnable examples in the docstrings of the engine, tensors and lessons print what they say
(nn's and optim's are in tests/nn and tests/optim; the data and explain docstrings show usage
sketches with the user's own variables, which are not run)."""
import doctest
import importlib

import numpy as np
import pytest

import glassnet

MODULES = ["glassnet", "glassnet.lessons", "glassnet.tensors.tensor", "glassnet.autograd.engine",
           "glassnet.autograd.gradcheck", "glassnet.autograd.gradients"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"glassnet": glassnet, "np": np},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
