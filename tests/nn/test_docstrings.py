"""The examples in glassnet.nn's docstrings run and print what they say."""
import doctest
import importlib

import pytest

import glassnet
import glassnet.nn as nn
import glassnet.nn.functional as F

MODULES = ["glassnet.nn.functional", "glassnet.nn.layers", "glassnet.nn.activations", "glassnet.nn.loss",
           "glassnet.nn.module", "glassnet.nn.parameter", "glassnet.nn.init", "glassnet.nn.loss_functions",
           "glassnet.nn.utils.rnn", "glassnet.nn.utils.clip_grad", "glassnet.nn", "glassnet.nn.attention",
           "glassnet.nn.containers", "glassnet.nn.conv", "glassnet.nn.lazy", "glassnet.nn.normalization",
           "glassnet.nn.transformer", "glassnet.nn.utils"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"glassnet": glassnet, "nn": nn, "F": F},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
