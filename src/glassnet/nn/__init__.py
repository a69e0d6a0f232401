"""``glassnet.nn``: modules, layers, activations and losses with PyTorch's API.

>>> import glassnet.nn as nn
>>> import glassnet.nn.functional as F
"""
from . import functional, init
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .layers import Dropout, Dropout2d, Flatten, Identity, Linear, ModuleList, Sequential, Unflatten
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .sparse import Embedding

__all__ = ["Module", "Parameter", "Linear", "Sequential", "ModuleList", "Identity", "Flatten", "Dropout",
           "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "MSELoss", "L1Loss",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "SmoothL1Loss", "HuberLoss", "Embedding", "LayerNorm",
           "BatchNorm1d", "functional", "init"]
__all__ += ["BatchNorm2d", "Dropout2d", "Unflatten"]
__all__ += ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
