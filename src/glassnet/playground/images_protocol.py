"""The Images page's WebSocket protocol (``/images``, ``WS /ws/images``): its controls and messages.

The page's set-up is an :class:`ImagesConfig` (the CNN the learner shapes and how it trains);
a ``set`` message carries any part of it, checked field by field against the same rules.
Play, pause, reset, step, export, link and got_frame are the 2-D page's messages
(``protocol.py``); the others are the Images page's own.

Page -> server
    ``{"type": "set", "config": {"channels": [8, 16], "kernel_size": 3, ...}}``
    ``{"type": "draw", "pixels": [64 numbers in 0..1, row-major]}``   the drawing becomes the
                                               current digit (predicted in every frame)
    ``{"type": "add_drawing", "pixels": [...], "label": 3}``   added to the training set
    ``{"type": "select", "split": "test", "index": 12}``       a digit becomes the current one
    ``{"type": "explain", "layer": 0, "channel": 2, "y": 3, "x": 4, "weight": [0, 1, 1]}``
                                               one output value of conv layer ``layer`` for the
                                               current digit, stepped through from a recording
                                               (``weight``: the tap [c, i, j] of its kernel whose
                                               gradient to derive; default the largest term)
    ``play`` / ``pause`` / ``reset`` / ``step`` / ``export`` / ``link`` / ``got_frame`` as on the 2-D page

Server -> page: ``hello``, ``state``, binary frames (``images.py``), ``health``, ``explain``,
``export``, ``notice``, ``error`` (see ``images_session.py``).
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from .protocol import (OPTIMIZERS, ExportMsg, GotFrameMsg, LinkMsg, PauseMsg, PlayMsg, ResetMsg,
                       StepMsg, _Message, _Strict, _finite, parse_with)

ACTIVATIONS = ("relu", "tanh", "sigmoid")
POOLINGS = ("max", "avg", "none")
KERNELS = (3, 5)
SIDE = 8                      # the digits are 8 x 8
CLASSES = 10


class ImagesLimits:
    max_conv_layers = 3
    max_channels = 16
    max_batch = 256
    max_drawings = 500        # drawings a session keeps in its training set
    max_steps_per_message = 200

    @classmethod
    def as_dict(cls) -> dict:
        return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


class ImagesConfig(_Strict):
    """Everything the Images page's controls set; also what its share link carries."""

    channels: list[Annotated[int, Field(ge=1, le=ImagesLimits.max_channels)]] = Field(
        default_factory=lambda: [8, 16], min_length=1, max_length=ImagesLimits.max_conv_layers,
        description="output channels of each conv layer")
    kernel_size: Literal[KERNELS] = 3
    pooling: Literal[POOLINGS] = "max"
    activation: Literal[ACTIVATIONS] = "relu"
    optimizer: Literal[OPTIMIZERS] = "adam"
    learning_rate: float = Field(0.003, gt=0.0, le=10.0)
    batch_size: int = Field(32, ge=1, le=ImagesLimits.max_batch)
    seed: int = Field(1, ge=0, le=2 ** 31 - 1)

    _f = field_validator("learning_rate")(_finite)


def check_patch(patch: dict) -> dict:
    """A partial :class:`ImagesConfig`: each field checked by the full config's rules."""
    unknown = [k for k in patch if k not in ImagesConfig.model_fields]
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}; the controls are {list(ImagesConfig.model_fields)}")
    try:
        ImagesConfig.model_validate({**ImagesConfig().model_dump(), **patch})
    except ValidationError as err:
        e = err.errors()[0]
        raise ValueError(f"{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
    return patch


def _pixels(v: list) -> list:
    if len(v) != SIDE * SIDE:
        raise ValueError(f"a drawing has {SIDE * SIDE} pixels (8 x 8, row-major); got {len(v)}")
    if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in v):
        raise ValueError("every pixel must be a number from 0 (paper) to 1 (ink)")
    return v


Pixels = list[float]


class ImagesSetMsg(_Message):
    type: Literal["set"]
    config: dict = Field(max_length=len(ImagesConfig.model_fields))

    @field_validator("config")
    @classmethod
    def _fields(cls, v: dict) -> dict:
        return check_patch(v)


class DrawMsg(_Message):
    type: Literal["draw"]
    pixels: Pixels

    _p = field_validator("pixels")(_pixels)


class AddDrawingMsg(_Message):
    type: Literal["add_drawing"]
    pixels: Pixels
    label: int = Field(ge=0, lt=CLASSES)

    _p = field_validator("pixels")(_pixels)


class SelectMsg(_Message):
    type: Literal["select"]
    split: Literal["train", "test", "drawing"] = "test"
    index: int = Field(0, ge=0, lt=10000)


class ExplainValueMsg(_Message):
    type: Literal["explain"]
    layer: int = Field(0, ge=0, lt=ImagesLimits.max_conv_layers)
    channel: int = Field(0, ge=0, lt=ImagesLimits.max_channels)
    y: int = Field(0, ge=0, lt=SIDE)
    x: int = Field(0, ge=0, lt=SIDE)
    weight: Optional[list[Annotated[int, Field(ge=0, lt=ImagesLimits.max_channels)]]] = Field(
        None, min_length=3, max_length=3)


class ImagesStepMsg(StepMsg):
    n: int = Field(1, ge=1, le=ImagesLimits.max_steps_per_message)


ImagesMessage = Annotated[
    Union[ImagesSetMsg, PlayMsg, PauseMsg, ResetMsg, ImagesStepMsg, DrawMsg, AddDrawingMsg, SelectMsg,
          ExplainValueMsg, ExportMsg, LinkMsg, GotFrameMsg],
    Field(discriminator="type")]

_ADAPTER = TypeAdapter(ImagesMessage)
MESSAGE_TYPES = ("set", "play", "pause", "reset", "step", "draw", "add_drawing", "select", "explain",
                 "export", "link", "got_frame")


def parse_images_message(text):
    """Validate one message from the Images page; :class:`ProtocolError` if it is not one."""
    return parse_with(text, _ADAPTER, MESSAGE_TYPES)


def read_link_field(key: str, raw: str):
    """One field of a share link (a string), typed and checked as its control is."""
    from .links import read_typed_field
    return read_typed_field(ImagesConfig, check_patch, key, raw)
