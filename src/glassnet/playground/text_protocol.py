"""The Text page's WebSocket protocol (``/text``, ``WS /ws/text``): its controls and messages.

The page's set-up is a :class:`TextConfig` (the model the learner shapes, how it trains, the
sampling temperature); a ``set`` message carries any part of it, checked field by field against
the same rules.  Play, pause, reset, step, export, link and got_frame are the 2-D page's messages
(``protocol.py``); the others are the Text page's own.

Page -> server
    ``{"type": "set", "config": {"n_layer": 2, "n_head": 4, ...}}``
    ``{"type": "text", "text": "..."}``        train on this text (``null``: the default text);
                                               a text over ``TextLimits.max_chars`` is cut there,
                                               and a notice says so
    ``{"type": "cursor", "position": 120}``    the sequence under the cursor: the window of
                                               ``block_size`` characters ending there (its
                                               attention maps are in every frame)
    ``{"type": "sample"}``                     generate a new sample now
    ``{"type": "explain", "layer": 0, "head": 1, "i": 5, "j": 2}``
                                               step through attention weight [i, j] of that head
                                               for the sequence under the cursor (scores,
                                               scale, mask, softmax) and its gradient
    ``play`` / ``pause`` / ``reset`` / ``step`` / ``export`` / ``link`` / ``got_frame`` as on the 2-D page

Server -> page: ``hello``, ``state``, binary frames (``text.py``), ``health``, ``explain``,
``export``, ``notice``, ``error`` (see ``text_session.py``).
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from .protocol import (ExportMsg, GotFrameMsg, LinkMsg, PauseMsg, PlayMsg, ResetMsg, StepMsg,
                       _Message, _Strict, _finite, parse_with)

MODELS = ("gpt", "bigram")


class TextLimits:
    max_chars = 50_000         # a pasted text is cut here (the page says so)
    min_chars = 200            # enough for a train and a val window
    max_vocab = 200            # distinct characters
    max_layers = 4
    max_heads = 8
    max_embd = 128
    max_block = 64
    max_batch = 64
    max_steps_per_message = 200
    sample_chars = 160         # characters of a generated sample

    @classmethod
    def as_dict(cls) -> dict:
        return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


class TextConfig(_Strict):
    """Everything the Text page's controls set; also what its share link carries."""

    model: Literal[MODELS] = "gpt"
    n_layer: int = Field(2, ge=1, le=TextLimits.max_layers, description="transformer blocks")
    n_head: int = Field(4, ge=1, le=TextLimits.max_heads, description="attention heads per block")
    n_embd: int = Field(64, ge=4, le=TextLimits.max_embd, description="channels (a multiple of n_head)")
    block_size: int = Field(32, ge=2, le=TextLimits.max_block, description="context length")
    learning_rate: float = Field(0.003, gt=0.0, le=10.0)
    batch_size: int = Field(16, ge=1, le=TextLimits.max_batch)
    seed: int = Field(1, ge=0, le=2 ** 31 - 1)
    temperature: float = Field(1.0, ge=0.05, le=5.0)

    _f = field_validator("learning_rate", "temperature")(_finite)

    def check(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"channels ({self.n_embd}) must be a multiple of the number of heads "
                             f"({self.n_head}): each head gets channels / heads of them")


#: the controls whose change rebuilds the model (the others: the optimizer's rate, the sampling)
NETWORK_FIELDS = {"model", "n_layer", "n_head", "n_embd", "block_size", "seed"}


def check_patch(patch: dict, base: dict | None = None) -> dict:
    """A partial :class:`TextConfig` (over ``base``, default the defaults): each field checked by
    the full config's rules."""
    unknown = [k for k in patch if k not in TextConfig.model_fields]
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}; the controls are {list(TextConfig.model_fields)}")
    try:
        cfg = TextConfig.model_validate({**(base or TextConfig().model_dump()), **patch})
    except ValidationError as err:
        e = err.errors()[0]
        raise ValueError(f"{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
    if base is not None:
        cfg.check()
    return patch


class TextSetMsg(_Message):
    type: Literal["set"]
    config: dict = Field(max_length=len(TextConfig.model_fields))

    @field_validator("config")
    @classmethod
    def _fields(cls, v: dict) -> dict:
        return check_patch(v)


class TextMsg(_Message):
    type: Literal["text"]
    text: Optional[str] = None          # length: the message limit (protocol.LIMITS); cut server-side


class CursorMsg(_Message):
    type: Literal["cursor"]
    position: int = Field(ge=0, le=10 ** 7)


class SampleMsg(_Message):
    type: Literal["sample"]


class ExplainWeightMsg(_Message):
    type: Literal["explain"]
    layer: int = Field(0, ge=0, lt=TextLimits.max_layers)
    head: int = Field(0, ge=0, lt=TextLimits.max_heads)
    i: int = Field(0, ge=0, lt=TextLimits.max_block)
    j: int = Field(0, ge=0, lt=TextLimits.max_block)


class TextStepMsg(StepMsg):
    n: int = Field(1, ge=1, le=TextLimits.max_steps_per_message)


TextMessage = Annotated[
    Union[TextSetMsg, PlayMsg, PauseMsg, ResetMsg, TextStepMsg, TextMsg, CursorMsg, SampleMsg, ExplainWeightMsg,
          ExportMsg, LinkMsg, GotFrameMsg],
    Field(discriminator="type")]

_ADAPTER = TypeAdapter(TextMessage)
MESSAGE_TYPES = ("set", "play", "pause", "reset", "step", "text", "cursor", "sample", "explain", "export", "link",
                 "got_frame")


def parse_text_message(text):
    """Validate one message from the Text page; :class:`ProtocolError` if it is not one."""
    return parse_with(text, _ADAPTER, MESSAGE_TYPES)


def read_link_field(key: str, raw: str):
    """One field of a share link (a string), typed and checked as its control is."""
    from .links import read_typed_field
    return read_typed_field(TextConfig, check_patch, key, raw)
