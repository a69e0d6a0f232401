"""``glassnet.optim``: optimizers and learning-rate schedulers with ``torch.optim``'s API.

Each optimizer is one file whose docstring states its update rule; ``optimizer.py`` holds
what they share (param groups, state, ``zero_grad``, ``state_dict``).  Read ``sgd.py`` first.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
