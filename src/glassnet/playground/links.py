"""Shared links: a set-up (and trained weights) carried in the page's URL, checked field by field.

A link's fragment holds the controls (``#dataset=xor&hidden=4,2&learning_rate=0.03``), optionally
the weights (``w=``: base64url of the parameters as float32, little-endian, in
``model.parameters()`` order), the controls a teacher hid (``hide=``, the page's business) and,
on the Text page, a pasted text (``text=``: base64url of its UTF-8 bytes, zlib-compressed, when
that is at most ``LINK_TEXT_BYTES`` compressed bytes; a longer paste is left out and the link
says so with ``text_omitted=`` its length in characters, which the page tells whoever opens it).
Each field is read and checked on its own, so one bad field is named and left as it was while
the others apply.
"""
from __future__ import annotations

import base64
import binascii
import zlib

import numpy as np
from pydantic import ValidationError

from .protocol import LIMITS, Config, ConfigPatch, ProtocolError

#: the order fields are applied in: the problem decides which data sets and losses fit
ORDER = ("problem", "dataset", "loss")
#: the most compressed bytes of text a link carries (8,000 characters of base64url)
LINK_TEXT_BYTES = 6000


def encode_text(text: str) -> tuple:
    """(a link's ``text=`` field, or None if the text is too long for a link; its compressed bytes)."""
    blob = zlib.compress(text.encode("utf-8"), 9)
    field = base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")
    return (field if len(blob) <= LINK_TEXT_BYTES else None), len(blob)


def decode_text(field: str, max_chars: int) -> str:
    """A link's ``text=`` field -> the text (a ProtocolError naming what is wrong)."""
    if len(field) > 4 * -(-LINK_TEXT_BYTES // 3):
        raise ProtocolError(f"the link's text (text=) has {len(field):,} characters; a link carries at most "
                            f"{LINK_TEXT_BYTES:,} compressed bytes of text")
    try:
        blob = base64.urlsafe_b64decode(field + "=" * (-len(field) % 4))
        d = zlib.decompressobj()
        raw = d.decompress(blob, 4 * max_chars + 1)        # never inflate more than a text may hold
        if len(raw) > 4 * max_chars or d.unconsumed_tail or not d.eof:
            raise ValueError("too long" if len(raw) > 4 * max_chars or d.unconsumed_tail else "cut short")
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, zlib.error) as err:
        raise ProtocolError(f"the link's text (text=) is not a text the share button writes "
                            f"(base64url of zlib-compressed UTF-8): {err}") from None


def read_field(key: str, raw: str):
    """The value of one URL field, typed as the control is (a ProtocolError if it cannot be)."""
    if key not in Config.model_fields:
        raise ProtocolError(f"unknown field {key!r}")
    default = Config.model_fields[key].get_default(call_default_factory=True)
    try:
        if isinstance(default, bool):
            if raw not in ("true", "false"):
                raise ValueError("must be true or false")
            value = raw == "true"
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        elif isinstance(default, list):
            items = [v for v in raw.split(",") if v != ""]
            value = [int(v) for v in items] if key == "hidden" else items
        else:
            value = raw
        ConfigPatch.model_validate({key: value})
    except (ValueError, ValidationError) as err:
        text = (err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err))
        raise ProtocolError(f"{key}={raw[:40]!r}: {text}") from None
    return value


def read_typed_field(config, check, key: str, raw: str):
    """One URL field of a page whose controls are the pydantic model ``config``, typed as its
    default is (a list: comma-separated integers) and checked by ``check({key: value})`` (which
    raises ValueError); a ProtocolError naming the field if it does not fit."""
    if key not in config.model_fields:
        raise ProtocolError(f"unknown field {key!r}")
    default = config.model_fields[key].get_default(call_default_factory=True)
    try:
        if isinstance(default, list):
            value = [int(v) for v in raw.split(",") if v != ""]
        elif isinstance(default, int) and not isinstance(default, bool):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        else:
            value = raw
        check({key: value})
    except ValueError as err:
        raise ProtocolError(f"{key}={raw[:40]!r}: {err}") from None
    return value


def apply_fields(trainer, fields: dict, read=read_field, config=Config) -> list:
    """Apply a link's fields one by one (``read`` types one field as ``config``'s control, as
    :func:`read_field` does for the 2-D page); the sentences for the fields that were left out."""
    problems = []
    keys = sorted(fields, key=lambda k: (ORDER.index(k) if k in ORDER else len(ORDER), k))
    for key in keys:
        if key == "dataset" and fields[key] in ("csv", "xor_table"):
            continue
        if key not in config.model_fields:
            problems.append(f"the link's field {key!r} is not one of the playground's controls; it was ignored")
            continue
        try:
            value = read(key, fields[key])
            trainer.apply({key: value})
        except ProtocolError as err:
            kept = getattr(trainer.cfg, key, None)
            problems.append(f"the link's {err} — {key} stays {_show(kept)}")
    return problems


def _show(value) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "(none)"
    return str(value)


def encode_weights(params) -> str:
    """The parameters as a link's ``w=`` field."""
    flat = np.concatenate([np.asarray(p, dtype="<f4").ravel() for p in params])
    return base64.urlsafe_b64encode(flat.tobytes()).decode("ascii").rstrip("=")


def decode_weights(text: str, shapes) -> list:
    """A ``w=`` field -> one float32 array per parameter shape (a ProtocolError if it does not fit)."""
    try:
        blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ProtocolError("the link's weights (w=) are not base64url") from None
    want = sum(int(np.prod(s)) for s in shapes)
    if len(blob) != 4 * want:
        raise ProtocolError(f"the link's weights (w=) hold {len(blob) / 4:g} numbers; this network has {want}")
    flat = np.frombuffer(blob, dtype="<f4")
    if not np.isfinite(flat).all() or np.abs(flat).max(initial=0) > LIMITS.max_abs_weight:
        raise ProtocolError(f"the link's weights (w=) must be finite and within ±{LIMITS.max_abs_weight:g}")
    out, p = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(flat[p:p + n].reshape(s).astype(np.float32))
        p += n
    return out
