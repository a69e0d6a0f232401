"""``glassnet.optim``: optimizers and learning-rate schedulers with ``torch.optim``'s API.

Each optimizer is one file whose docstring states its update rule; ``optimizer.py`` holds
what they share (param groups, state, ``zero_grad``, ``state_dict``).  Read ``sgd.py`` first.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax",
           "Adadelta", "ASGD", "LBFGS", "lr_scheduler"]
