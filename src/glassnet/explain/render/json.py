"""JSON in the versioned ``glassnet.explain/2`` schema (see docs/explain-json-schema.md).

Summaries (per layer, per parameter, per op, the largest entries, insights) are always
present, so a document's size does not grow with the network.  Full arrays come only with
``detail="full"``, each as one compact numeric array ``{"shape": [...], "data": [...]}``
(row-major, like ``tensor.flatten().tolist()``).  ``version=1`` writes the older
``glassnet.explain/1`` document instead (one object per neuron and per weight; what the
playground reads), see :mod:`.json_v1`.  ``validate`` checks either version.
"""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np

from .. import summary
from .._numbers import to_float
from . import json_v1
from .json_v1 import num

SCHEMA_ID = "glassnet.explain/2"
SCHEMA_PATHS = {"glassnet.explain/1": json_v1.SCHEMA_PATH,
                "glassnet.explain/2": Path(__file__).with_name("explain-2.schema.json")}
#: Predictions and targets are written in a summary document only up to this many entries.
INLINE_LIMIT = 64


def array(value):
    """``{"shape": [...], "data": [flat numbers]}`` (NaN and infinities as null); None if absent."""
    if value is None:
        return None
    a = np.asarray(to_float(np.asarray(value)))
    data = a.ravel().tolist()
    if not np.isfinite(a).all():
        data = [v if math.isfinite(v) else None for v in data]
    return {"shape": list(a.shape), "data": data}


def _effect(rec, full: bool):
    def small(v):
        return array(v) if v is not None and (full or np.size(v) <= INLINE_LIMIT) else None
    return json_v1.effect(rec, small)


def _entry(d: dict) -> dict:
    return {"entry": d["entry"], "value": num(d["value"]), "grad": num(d["grad"]),
            "update": num(d["update"]), "new": num(d["new"])}


def _arrays(rec) -> dict:
    return {
        "parameters": [{"name": p.name, "before": array(p.before), "grad": array(p.grad),
                        "update": array(p.delta), "after": array(p.after),
                        "terms": {k: array(v) for k, v in p.terms.items()
                                  if isinstance(v, np.ndarray) and np.ndim(v) > 0}}
                       for p in rec.params],
        "ops": [{"index": op.index, "value": array(op.output), "grad": array(op.grad_out)}
                for op in rec.forward_ops],
        "leaves": [{"index": leaf.index, "name": leaf.name, "role": leaf.role, "value": array(leaf.value)}
                   for leaf in rec.leaves],
    }


_default = json_v1.default_for(array)


def to_dict(rec, entries=(), detail=None) -> dict:
    """The recording as a ``glassnet.explain/2`` document (a dict ready for ``json.dumps``).

    ``detail``: None/``"auto"`` or ``"summary"`` (summaries only) or ``"full"`` (summaries and
    every array).  Unlike the renderers, JSON's default is the summary at every size: arrays are
    written only when asked for.
    """
    level = "summary" if detail in (None, "auto") else summary.detail_level(rec, detail)
    layers = copy.deepcopy(summary.layer_summaries(rec))     # the cached ones stay as they are
    return {
        "schema": SCHEMA_ID, "detail": level, "title": rec.title, "model": rec.model_type or None,
        "dtype": rec.dtype, "exact": rec.exact,
        "size": {**summary.size(rec), "full_detail_limit": summary.FULL_DETAIL_LIMIT},
        "optimizer": None if not rec.optimizer_type else {"type": rec.optimizer_type,
                                                          "hyper": json_v1.hyper(rec)},
        "layers": layers,
        "parameters": copy.deepcopy(summary.param_summaries(rec)),
        "ops": copy.deepcopy(summary.op_summaries(rec)),
        "largest": {"gradients": [_entry(d) for d in summary.largest(rec, "grad")],
                    "updates": [_entry(d) for d in summary.largest(rec, "update")]},
        **json_v1.closing(rec, entries, _effect(rec, level == "full"), _default),
        "arrays": _arrays(rec) if level == "full" else None,
    }


def to_json(rec, entries=(), indent=None, detail=None) -> str:
    """``to_dict`` as text: compact (no indentation) unless ``indent`` is given."""
    sep = (",", ":") if indent is None else None
    return json.dumps(to_dict(rec, entries, detail), indent=indent, separators=sep, ensure_ascii=False,
                      default=_default, allow_nan=False)


def schema(version: int = 2) -> dict:
    """The JSON Schema of ``glassnet.explain/2`` (``version=1``: of ``glassnet.explain/1``)."""
    path = SCHEMA_PATHS.get(f"glassnet.explain/{version}")
    if path is None:
        raise ValueError(f"version must be 1 or 2, got {version!r}")
    return json.loads(path.read_text(encoding="utf-8"))


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``document`` does not follow its schema (version 1
    or 2, read from its ``"schema"`` field)."""
    import jsonschema
    version = 1 if document.get("schema") == "glassnet.explain/1" else 2
    jsonschema.validate(document, schema(version))
