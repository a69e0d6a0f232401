"""The seed tutorials as lessons: each is a function returning a ``LessonResult``.

A lesson computes its numbers with glassnet (and, where a seed derives gradients by hand, with
the seed's NumPy code too), compares them with what the seed claims, and explains the
difference.  Printing is not its job: ``glassnet lesson NAME`` renders the result in the
terminal, ``glassnet tour`` renders every lesson into one HTML report.

>>> from glassnet import lessons
>>> lessons.names()[:2]
['dose', 'diagonal-flip']
>>> result = lessons.run("dose")
>>> result.numbers["num_steps"]
34
"""
from __future__ import annotations

import importlib

from .result import Check, Claim, FigureEntry, LessonResult, Table

__all__ = ["names", "describe", "run", "LESSONS", "LessonResult", "Table", "FigureEntry", "Claim",
           "Check"]

# name → (module, one-line description); the order is the tour's order
LESSONS = {
    "dose": ("dose", "Seeds 000/001: a hand-set ReLU network, then SGD on its final bias"),
    "diagonal-flip": ("diagonal_flip", "Seed 002: one SGD step of a 4-3-4 ReLU net, exact vs float32"),
    "xor-linear": ("xor_linear", "Seed 004: Linear(2, 1) + sigmoid cannot learn XOR"),
    "xor-from-scratch": ("xor_from_scratch", "Seed 003: a 2-2-1 sigmoid net by autograd and by hand"),
    "xor-worked-example": ("xor_worked_example", "Seed 003: forward and backward with the trained weights"),
    "spiral": ("spiral", "Seed 003: the 2-16-8-1 spiral classifier, measured"),
    "debug-checklist": ("debug_checklist", "Seed 003: the debugging checklist on the spiral set-up"),
    "cnn-digits": ("cnn_digits", "A LeNet on 8×8 digits: kernels, feature maps, saliency, vs an MLP"),
    "gpt": ("gpt", "Let's build GPT, shrunk: bigram floor, attention heads, blocks, in a minute"),
}


def names() -> list[str]:
    """The lesson names, in the tour's order."""
    return list(LESSONS)


def describe(name: str) -> str:
    """One line saying what lesson ``name`` shows."""
    return LESSONS[_check(name)][1]


def _check(name: str) -> str:
    if name not in LESSONS:
        raise ValueError(f"unknown lesson {name!r}; the lessons are {', '.join(LESSONS)}")
    return name


def run(name: str, **options) -> LessonResult:
    """Run lesson ``name`` (see ``names()``); ``options`` go to that lesson's ``run``."""
    module = importlib.import_module(f".{LESSONS[_check(name)][0]}", __name__)
    return module.run(**options)
