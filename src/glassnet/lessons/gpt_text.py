"""The text of ``glassnet lesson gpt``: short dialogues written by a seeded grammar.

There is no internet to fetch Tiny Shakespeare from, and a text typed into the repository from
memory could not be checked; so the text is generated, by the few lines below, and it is the same
on every machine: the only random source is ``random.Random(seed).random()``, whose sequence
Python guarantees not to change between versions.

The grammar is made so that a bigram model cannot learn all of it and attention can::

    eve: where is the red fox?
    bob: the red fox is by the pond.

The answer repeats the question's adjective and noun.  Which adjective follows "the " in the
answer cannot be known from the previous character (there are eight, equally likely); it can be
read off a dozen characters back, which is what an attention head can do.  Because the grammar's
probabilities are known, so is the text's own information: ``Dialogues.nats`` is
``-log p(text)`` under the grammar, the sum of the log of each choice's probability.  No model
can beat ``nats / len(text)`` per character on average, however much context it sees.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

NAMES = ["ada", "bob", "cy", "dot", "eve", "fay", "gus", "hal"]
ADJECTIVES = ["red", "blue", "big", "small", "green", "grey", "tall", "wet"]
NOUNS = ["fox", "owl", "cat", "dog", "hen", "pig", "cow", "bee", "ant", "rat"]
PLACES = ["barn", "house", "tree", "field", "pond", "shed", "hill", "wood"]
PREPOSITIONS = ["in", "by", "near", "under"]
REPLIES = ["no", "yes", "me too"]
KINDS = [("where", 0.5), ("saw", 0.3), ("who", 0.2)]        # the three exchanges, by probability


@dataclass
class Dialogues:
    """The generated text, which of its characters repeat earlier ones, and its information.

    Attributes
    ----------
    text : str
    copied : ndarray of bool, shape (len(text),)
        True for the characters of an answer's "adjective noun" that repeat the question's.
    nats : float
        ``-log p(text)`` under the grammar (natural log).
    """

    text: str
    copied: np.ndarray
    nats: float

    @property
    def nats_per_char(self) -> float:
        return self.nats / len(self.text)


def make_text(exchanges: int = 700, seed: int = 0) -> Dialogues:
    """``exchanges`` question-and-answer pairs drawn from the grammar with ``seed``."""
    rng = random.Random(seed)
    parts: list[tuple[str, bool]] = []
    nats = 0.0

    def pick(options):
        nonlocal nats
        nats += math.log(len(options))
        return options[int(rng.random() * len(options))]

    def say(text: str, copy: bool = False):
        parts.append((text, copy))

    for _ in range(exchanges):
        u, total = rng.random(), 0.0
        for kind, p in KINDS:
            total += p
            if u < total:
                break
        nats -= math.log(p)
        a = pick(NAMES)
        b = pick([n for n in NAMES if n != a])
        thing = f"{pick(ADJECTIVES)} {pick(NOUNS)}"
        if kind == "where":
            say(f"{a}: where is the {thing}?\n{b}: the ")
            say(thing, True)
            say(f" is {pick(PREPOSITIONS)} the {pick(PLACES)}.\n")
        elif kind == "saw":
            say(f"{a}: i saw a {thing}.\n{b}: a ")
            say(thing, True)
            say(f"? {pick(REPLIES)}.\n")
        else:
            say(f"{a}: who has the {thing}?\n{b}: {pick(NAMES)} has the ")
            say(thing, True)
            say(".\n")
    text = "".join(t for t, _ in parts)
    copied = np.concatenate([np.full(len(t), c) for t, c in parts])
    return Dialogues(text, copied, nats)
