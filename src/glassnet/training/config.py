"""Configuration for ``glassnet train``: per-data-set defaults, a TOML file and flags → ``Spec``.

``resolve`` merges the three (flags win over the file, the file over the defaults) and checks
every value at this one edge, so a bad value from a flag or from a config file gets the same
one-line message naming the option, the value and what is allowed.

The environment is read here too, once, and only when the caller hands it over (the CLI passes
``os.environ``): a process that torchrun started gets its ``Rank`` in the ``Spec``, so nothing
further down reads environment variables to learn what it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BUILTIN = {"spiral": "spiral", "xor": "xor", "circle": "circle", "moons": "moons",
           "gaussian": "gaussian", "digits": "digits", "iris": "iris",
           "breast-cancer": "breast_cancer", "wine": "wine"}
CHOICES = {"activation": ("relu", "tanh", "sigmoid"), "loss": ("bce-logits", "mse", "cross-entropy"),
           "optimizer": ("sgd", "adam", "adamw", "rmsprop"), "engine": ("glassnet", "torch"),
           "task": ("classification", "regression"), "model": ("mlp", "lenet")}
BASE = {"hidden": [16, 8], "activation": "relu", "optimizer": "adam", "lr": 0.01, "epochs": 200,
        "batch_size": 64, "seed": 0, "test_size": 0.2, "engine": "glassnet", "nproc": 1, "nnodes": 1}
DEFAULTS = {  # sensible settings per data set (on top of BASE); the loss follows from the task
    "spiral": {"epochs": 500, "batch_size": 0},
    "xor": {"hidden": [4], "activation": "tanh", "lr": 0.05, "epochs": 500, "batch_size": 0,
            "test_size": 0.0},
    "circle": {}, "moons": {}, "gaussian": {"hidden": [8], "epochs": 100},
    "digits": {"hidden": [64], "lr": 0.005, "epochs": 30},
    "iris": {"hidden": [16], "epochs": 60, "batch_size": 16},
    "breast-cancer": {"hidden": [16], "lr": 0.005, "epochs": 60, "batch_size": 32},
    "wine": {"hidden": [16], "epochs": 150, "batch_size": 16},
    "csv": {"hidden": [16], "epochs": 200, "batch_size": 32},
}
# --model lenet: the data sets whose rows are images, (channels, height, width) each
IMAGES = {"digits": (1, 8, 8)}
MODEL_DEFAULTS = {  # per model, on top of the data set's defaults (the file and flags still win)
    "lenet": {"hidden": [32], "lr": 0.005, "epochs": 20},
}
KEYS = ("data", "model", "target", "hidden", "activation", "loss", "optimizer", "lr", "epochs",
        "batch_size", "seed", "test_size", "save", "plot", "engine", "nproc", "nnodes",
        "rdzv_endpoint", "task", "delimiter")


@dataclass(frozen=True)
class Rank:
    """This process's place in a torch.distributed run, as its launcher set it (torchrun's variables)."""

    rank: int                      # RANK: 0 … world_size - 1; rank 0 evaluates and reports
    world_size: int                # WORLD_SIZE: processes on all machines
    local_rank: int = 0            # LOCAL_RANK: the process's number on this machine (its GPU)
    local_world_size: int = 1      # LOCAL_WORLD_SIZE: processes on this machine


def torchrun_rank(environ) -> Rank | None:
    """The ``Rank`` of a process that torchrun (or another elastic agent) started, from the
    environment the agent set; None for a process started any other way."""
    if "TORCHELASTIC_RUN_ID" not in environ or "RANK" not in environ:
        return None
    return Rank(int(environ["RANK"]), int(environ["WORLD_SIZE"]), int(environ.get("LOCAL_RANK", "0")),
                int(environ.get("LOCAL_WORLD_SIZE", "1")))


@dataclass
class Spec:
    """A checked training configuration (see ``resolve``)."""

    data: str
    model: str = "mlp"             # "mlp" or "lenet" (convolutions; image data sets only)
    target: str | None = None
    hidden: list = field(default_factory=list)
    activation: str = "relu"
    loss: str | None = None
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 200
    batch_size: int = 64
    seed: int = 0
    test_size: float = 0.2
    save: str | None = None
    plot: str | None = None
    engine: str = "glassnet"       # "glassnet" or "torch"
    nproc: int = 1                 # processes per machine (torch.distributed when > 1)
    nnodes: int = 1                # machines (torch.distributed rendezvous at rdzv_endpoint)
    rdzv_endpoint: str | None = None
    task: str | None = None        # "classification", "regression", or None: inferred from the labels
    delimiter: str | None = None   # CSV cell separator; None: detected (csv.Sniffer)
    rank: Rank | None = None       # set when torchrun started this process: one worker of the run


# -- configuration -------------------------------------------------------------------------------

def _read_config(path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"--config: no such file {str(path)!r}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"--config {path}: not valid TOML ({error})") from None
    raw = raw.get("train", raw)  # either top-level keys or a [train] table
    config = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in KEYS:
            raise ValueError(f"--config {path}: unknown key {key!r}; the keys are "
                             f"{', '.join(k.replace('_', '-') for k in KEYS)}")
        config[name] = value
    return config


def _parse_hidden(value) -> list:
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        text = str(value).strip().lower()
        if text in ("", "none", "0", "[]"):
            return []
        items = [v for v in re.split(r"[,\s]+", text) if v]
    sizes = []
    for item in items:
        if isinstance(item, bool) or not re.fullmatch(r"[0-9]+", str(item).strip()) or int(item) < 1:
            raise ValueError(f"--hidden takes positive layer sizes such as '16 8'; got {value!r}")
        sizes.append(int(item))
    return sizes


def _number(name, value, kind, low=None, high=None, low_open=False, high_open=False):
    flag = "--" + name.replace("_", "-")
    try:
        if isinstance(value, bool) or (kind is int and isinstance(value, float)
                                       and not value.is_integer()):
            raise ValueError
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{flag} must be {'an integer' if kind is int else 'a number'}; "
                         f"got {value!r}") from None
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high or number != number or number in (float("inf"), float("-inf")):
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        finite = "a finite number " if kind is float else ""  # inf and nan are never meant
        raise ValueError(f"{flag} must be {finite}{' and '.join(s for s in (lo, hi) if s)}; "
                         f"got {value!r}")
    return number


def resolve(flags: dict, config_path=None, environ=None) -> Spec:
    """Defaults for the data set, then the TOML file, then the flags given (those not None).

    ``environ`` is the process's environment (``os.environ``; None: not looked at).  When
    torchrun started this process and the engine is torch, the process is one worker of
    torchrun's run: ``rank`` is set and ``nproc``/``nnodes`` are torchrun's (``--nproc`` is
    ignored, as docs/scale-out.md says).
    """
    given = {k: v for k, v in flags.items() if v is not None}
    config = _read_config(config_path) if config_path is not None else {}
    data = given.get("data", config.get("data"))
    if data is None:
        raise ValueError("--data is required: a built-in data set "
                         f"({', '.join(BUILTIN)}) or a CSV file")
    data = str(data)
    kind = "csv" if data.lower().endswith(".csv") else data
    if kind not in DEFAULTS:
        raise ValueError(f"--data must be one of {', '.join(BUILTIN)} or a .csv file; got {data!r}")
    model = given.get("model", config.get("model", "mlp"))
    if model not in CHOICES["model"]:
        raise ValueError(f"--model must be one of {', '.join(CHOICES['model'])}; got {model!r}")
    if model != "mlp" and kind not in IMAGES:
        raise ValueError(f"--model {model} takes images; the image data sets are "
                         f"{', '.join(IMAGES)} ({data!r} is not one)")
    merged = {**BASE, **DEFAULTS[kind], **MODEL_DEFAULTS.get(model, {}), **config, **given,
              "data": data, "model": model}
    for name, allowed in CHOICES.items():
        value = merged.get(name)
        if value is not None and value not in allowed:
            raise ValueError(f"--{name} must be one of {', '.join(allowed)}; got {value!r}")
    spec = Spec(
        data=data, model=model, target=merged.get("target"), hidden=_parse_hidden(merged["hidden"]),
        activation=merged["activation"], loss=merged.get("loss"), optimizer=merged["optimizer"],
        lr=_number("lr", merged["lr"], float, 0, low_open=True),
        epochs=_number("epochs", merged["epochs"], int, 1),
        batch_size=_number("batch_size", merged["batch_size"], int, 0),
        seed=_number("seed", merged["seed"], int, 0),
        test_size=_number("test_size", merged["test_size"], float, 0, 1, high_open=True),
        save=None if merged.get("save") is None else str(merged["save"]),
        plot=None if merged.get("plot") is None else str(merged["plot"]),
        engine=merged["engine"], nproc=_number("nproc", merged["nproc"], int, 1),
        nnodes=_number("nnodes", merged["nnodes"], int, 1),
        rdzv_endpoint=None if merged.get("rdzv_endpoint") is None else str(merged["rdzv_endpoint"]),
        task=merged.get("task"),
        delimiter=None if merged.get("delimiter") is None else str(merged["delimiter"]))
    if (spec.nproc > 1 or spec.nnodes > 1) and spec.engine != "torch":
        raise ValueError("--nproc and --nnodes run torch.distributed; add --engine torch")
    if spec.nnodes > 1 and not spec.rdzv_endpoint:
        raise ValueError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT, the same on every machine")
    if spec.delimiter is not None and kind != "csv":
        raise ValueError(f"--delimiter applies to CSV files; {data!r} is a built-in data set")
    if spec.target is not None and kind != "csv":
        raise ValueError(f"--target applies to CSV files; {data!r} is a built-in data set")
    rank = torchrun_rank(environ) if environ is not None and spec.engine == "torch" else None
    if rank is not None:   # torchrun decides how many processes run, not the flags
        spec.rank, spec.nproc = rank, rank.local_world_size
        spec.nnodes = max(1, rank.world_size // rank.local_world_size)
    return spec
