"""The playground's WebSocket protocol: every message from the page, as a pydantic model.

One JSON object per WebSocket text message, told apart by its ``type``.  Everything the
page sends is parsed by :func:`parse_client_message`; anything that does not fit (bad JSON,
an unknown type, a value out of range, an extra field) raises :class:`ProtocolError` with a
message a person can act on, the server answers ``{"type": "error", ...}`` and the session
goes on.  The bounds below (``LIMITS``) are the only limits: layers, neurons, points, upload
size.

Page -> server
    ``{"type": "set", "config": {...}}``       change any controls (a partial :class:`Config`)
    ``{"type": "play"}`` / ``"pause"`` / ``"reset"`` / ``"regenerate"``
    ``{"type": "step", "n": 1}``               n optimizer steps, then pause
    ``{"type": "set_weight", "layer": 0, "row": 1, "col": 0, "value": 0.5}``
                                               edit ``layers[layer].weight[row, col]``
                                               (``col: null`` edits ``bias[row]``)
    ``{"type": "explain", "split": "train", "index": 3}``   record one step on one point
    ``{"type": "preset", "name": "xor_step"}`` the seed's 2-2-1 sigmoid XOR network
    ``{"type": "upload_csv", "name": "points.csv", "text": "x1,x2,label\\n..."}``
    ``{"type": "export"}``                     safetensors + PyTorch code of the model
    ``{"type": "link", "fields": {"noise": "20", ...}, "weights": "<base64url>"}``
                                               a shared link: each field applied on its own (a
                                               bad one is named and left at its value), then the
                                               weights (float32, model.parameters() order)
    ``{"type": "got_frame"}``                  the page has a frame (flow control: at most two
                                               frames travel unconfirmed; newer ones replace
                                               an unsent one, so a slow page gets fewer frames)

Server -> page
    ``hello`` (once: options and limits), ``state`` (the config, the data points, the input
    feature maps; after every change), frames (binary, see ``frames.py``: weights, gradients,
    updates, losses, heat maps; latest-frame-wins), ``health`` (divergence and warnings),
    ``explain`` (the recording and the step list), ``export``, ``error``.  See ``session.py``.
"""
from __future__ import annotations

import json
import math
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)")
CLASSIFICATION_SETS = ("circle", "xor", "gaussian", "spiral", "moons")
REGRESSION_SETS = ("plane", "multigauss", "bump")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
LOSSES = {"classification": ("bce", "mse"), "regression": ("mse", "l1")}


class Limits:
    max_layers = 6
    max_neurons = 8
    min_points = 4
    max_points = 2000
    max_batch = 500
    max_upload_bytes = 256 * 1024
    max_message_bytes = 512 * 1024   # one WebSocket message (an upload is the largest)
    max_steps_per_message = 1000
    max_abs_weight = 1000.0
    grid = 64                        # heat maps are grid x grid

    @classmethod
    def as_dict(cls) -> dict:
        return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, (int, float))}


LIMITS = Limits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)   # no "8" for 8, no true for 1


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class Config(_Strict):
    """Everything the controls set; also what the page's URL carries."""

    problem: Literal["classification", "regression"] = "classification"
    dataset: str = "circle"
    noise: int = Field(0, ge=0, le=50, description="percent, as in the TensorFlow Playground")
    train_ratio: int = Field(50, ge=10, le=90, description="percent of the points used for training")
    n_points: int = Field(500, ge=LIMITS.min_points, le=LIMITS.max_points)
    batch_size: int = Field(10, ge=1, le=LIMITS.max_batch)
    features: list[str] = Field(default_factory=lambda: ["x1", "x2"], min_length=1, max_length=7)
    hidden: list[Annotated[int, Field(ge=1, le=LIMITS.max_neurons)]] = Field(
        default_factory=lambda: [4, 2], max_length=LIMITS.max_layers)
    activation: Literal[ACTIVATIONS] = "tanh"
    regularization: Literal["none", "l1", "l2"] = "none"
    reg_rate: float = Field(0.0, ge=0.0, le=10.0)
    learning_rate: float = Field(0.03, gt=0.0, le=10.0)
    optimizer: Literal[OPTIMIZERS] = "sgd"
    loss: str = "bce"
    seed: int = Field(1, ge=0, le=2 ** 31 - 1)
    discretize: bool = False
    show_test: bool = False

    _f = field_validator("reg_rate", "learning_rate")(_finite)

    @field_validator("features")
    @classmethod
    def _known_features(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if f not in FEATURES]
        if bad:
            raise ValueError(f"unknown feature(s) {bad}; choose from {list(FEATURES)}")
        if len(set(v)) != len(v):
            raise ValueError("each feature may appear once")
        return [f for f in FEATURES if f in v]   # canonical order

    def check(self) -> None:
        """Cross-field rules (the data set and loss must suit the problem)."""
        sets = (CLASSIFICATION_SETS + ("xor_table", "csv") if self.problem == "classification"
                else REGRESSION_SETS + ("csv",))
        if self.dataset not in sets:
            raise ProtocolError(f"data set {self.dataset!r} does not fit a {self.problem} problem; "
                                f"choose one of {list(sets)}")
        if self.loss not in LOSSES[self.problem]:
            raise ProtocolError(f"loss {self.loss!r} does not fit a {self.problem} problem; "
                                f"choose one of {list(LOSSES[self.problem])}")


class ConfigPatch(_Strict):
    """A partial :class:`Config`: only the fields present change."""

    problem: Optional[Literal["classification", "regression"]] = None
    dataset: Optional[str] = Field(None, max_length=20)
    noise: Optional[int] = Field(None, ge=0, le=50)
    train_ratio: Optional[int] = Field(None, ge=10, le=90)
    n_points: Optional[int] = Field(None, ge=LIMITS.min_points, le=LIMITS.max_points)
    batch_size: Optional[int] = Field(None, ge=1, le=LIMITS.max_batch)
    features: Optional[list[str]] = Field(None, min_length=1, max_length=7)
    hidden: Optional[list[Annotated[int, Field(ge=1, le=LIMITS.max_neurons)]]] = Field(
        None, max_length=LIMITS.max_layers)
    activation: Optional[Literal[ACTIVATIONS]] = None
    regularization: Optional[Literal["none", "l1", "l2"]] = None
    reg_rate: Optional[float] = Field(None, ge=0.0, le=10.0)
    learning_rate: Optional[float] = Field(None, gt=0.0, le=10.0)
    optimizer: Optional[Literal[OPTIMIZERS]] = None
    loss: Optional[str] = Field(None, max_length=10)
    seed: Optional[int] = Field(None, ge=0, le=2 ** 31 - 1)
    discretize: Optional[bool] = None
    show_test: Optional[bool] = None

    _f = field_validator("reg_rate", "learning_rate")(lambda v: v if v is None else _finite(v))
    _feat = field_validator("features")(lambda v: v if v is None else Config._known_features(v))


class _Message(_Strict):
    """Every message may carry an ``id``; frames and states echo the last one applied as ``ack``."""

    id: Optional[int] = Field(None, ge=0, le=2 ** 53)


class SetMsg(_Message):
    type: Literal["set"]
    config: ConfigPatch


class PlayMsg(_Message):
    type: Literal["play"]


class PauseMsg(_Message):
    type: Literal["pause"]


class ResetMsg(_Message):
    type: Literal["reset"]


class RegenerateMsg(_Message):
    type: Literal["regenerate"]


class StepMsg(_Message):
    type: Literal["step"]
    n: int = Field(1, ge=1, le=LIMITS.max_steps_per_message)


class SetWeightMsg(_Message):
    type: Literal["set_weight"]
    layer: int = Field(ge=0, le=LIMITS.max_layers)
    row: int = Field(ge=0, le=LIMITS.max_neurons)
    col: Optional[int] = Field(None, ge=0, le=max(LIMITS.max_neurons, len(FEATURES)))
    value: float = Field(ge=-LIMITS.max_abs_weight, le=LIMITS.max_abs_weight)

    _f = field_validator("value")(_finite)


class ExplainMsg(_Message):
    type: Literal["explain"]
    split: Literal["train", "test"] = "train"
    index: int = Field(ge=0, lt=LIMITS.max_points)


class PresetMsg(_Message):
    type: Literal["preset"]
    name: Literal["xor_step"]


class UploadCsvMsg(_Message):
    type: Literal["upload_csv"]
    name: str = Field("upload.csv", max_length=200)
    text: str = Field(max_length=LIMITS.max_upload_bytes)


class ExportMsg(_Message):
    type: Literal["export"]


class LinkMsg(_Message):
    """A shared link's fields, as written in the URL (strings); each is checked on its own."""
    type: Literal["link"]
    fields: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=400)]] = Field(
        default_factory=dict, max_length=40)
    weights: Optional[str] = Field(None, max_length=40000)
    text: Optional[str] = Field(None, max_length=8000)      # the Text page's text= (links.py)


class GotFrameMsg(_Message):
    type: Literal["got_frame"]


ClientMessage = Annotated[
    Union[SetMsg, PlayMsg, PauseMsg, ResetMsg, RegenerateMsg, StepMsg, SetWeightMsg, ExplainMsg,
          PresetMsg, UploadCsvMsg, ExportMsg, LinkMsg, GotFrameMsg],
    Field(discriminator="type")]

_ADAPTER = TypeAdapter(ClientMessage)
MESSAGE_TYPES = ("set", "play", "pause", "reset", "regenerate", "step", "set_weight", "explain",
                 "preset", "upload_csv", "export", "link", "got_frame")


class ProtocolError(ValueError):
    """A message the server will not act on; ``str(err)`` is shown to the user."""


def _describe(err: ValidationError, types: tuple = MESSAGE_TYPES) -> str:
    parts = []
    for e in err.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"] if not (isinstance(p, str) and p in types))
        parts.append(f"{where or 'message'}: {e['msg']}")
    return "; ".join(parts)


def parse_client_message(text) -> BaseModel:
    """Validate one message from the page; raise :class:`ProtocolError` if it is not one."""
    return parse_with(text, _ADAPTER, MESSAGE_TYPES)


def parse_with(text, adapter: TypeAdapter, types: tuple) -> BaseModel:
    """Validate one message of a page whose messages are ``adapter``'s union (``types``: their
    ``type`` values); every page of the playground parses its messages through this."""
    if isinstance(text, (bytes, bytearray)):
        raise ProtocolError("binary messages are not part of the protocol; send JSON text")
    if not isinstance(text, str):
        raise ProtocolError("expected a JSON text message")
    if len(text) > LIMITS.max_message_bytes:
        raise ProtocolError(f"message of {len(text)} characters is over the limit of "
                            f"{LIMITS.max_message_bytes}")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:   # ValueError: bad JSON, or an int over 4,300 digits
        raise ProtocolError(f"not valid JSON: {str(err)[:200]}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object with a 'type', got {type(data).__name__}")
    kind = data.get("type")
    if kind not in types:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {list(types)}")
    try:
        return adapter.validate_python(data)
    except ValidationError as err:
        raise ProtocolError(f"invalid '{kind}' message: {_describe(err, types)}") from None
