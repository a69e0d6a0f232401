"""The torch names real programs use, with where each comes from: the coverage list of issue 25.

Two parts:

* ``program_names()``: every ``torch.…`` name the corpus programs in ``programs/`` use (read from
  their source: attribute chains on ``torch`` and the modules imported from it, and the names
  imported with ``from torch… import``), computed anew each run, so a new program adds its names.
* ``READ``: the names read by hand from public programs others wrote (the files named below, read
  in full or in the parts noted): functions and modules as ``torch`` spells them without the
  ``torch.`` (``nn.Linear``, ``cuda.is_available``), Tensor methods and attributes as
  ``Tensor.x``, Module and Optimizer methods as ``nn.Module.x`` / ``optim.Optimizer.x``.

``coverage()`` resolves every name on glassnet: *has* (it exists and works), *refused* (it exists
to say in one line what to do instead: float16, ``onnx.export``, ``init_process_group``), or
*missing*.  ``tests/compat/test_coverage.py`` reports the figure and keeps it from dropping;
``docs/torch-compatibility.md`` shows it and the missing names, grouped.
"""
from __future__ import annotations

import ast
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"

#: source → the names read there (whitespace-separated)
READ = {
    "karpathy/makemore makemore.py": """
        nn.Module nn.Linear nn.LayerNorm nn.ModuleDict nn.ModuleList nn.Embedding nn.init.normal_
        nn.init.zeros_ nn.init.ones_ nn.functional.cross_entropy nn.functional.softmax
        nn.utils.clip_grad_norm_ tanh pow tril ones zeros arange long tensor cat topk multinomial
        randperm manual_seed cuda.manual_seed_all cuda.synchronize no_grad inference_mode save load
        optim.AdamW utils.data.Dataset utils.data.DataLoader utils.data.RandomSampler
        utils.tensorboard.SummaryWriter
        Tensor.size Tensor.split Tensor.view Tensor.transpose Tensor.masked_fill Tensor.contiguous
        Tensor.numel Tensor.unsqueeze Tensor.tolist Tensor.to Tensor.item Tensor.mean Tensor.device
        nn.Module.register_buffer nn.Module.apply nn.Module.parameters nn.Module.eval nn.Module.train
        nn.Module.zero_grad nn.Module.load_state_dict nn.Module.state_dict nn.Module.to
        optim.Optimizer.step
    """,
    "pytorch/tutorials beginner_source/basics/tensorqs_tutorial.py": """
        tensor from_numpy ones_like rand_like float rand ones zeros cuda.is_available device cat
        matmul mul Tensor.shape Tensor.dtype Tensor.device Tensor.to Tensor.T Tensor.matmul
        Tensor.mul Tensor.sum Tensor.item Tensor.add_ Tensor.copy_ Tensor.t_ Tensor.numpy
    """,
    "pytorch/tutorials beginner_source/introyt/tensors_deeper_tutorial.py (first 32,000 characters)": """
        empty zeros ones manual_seed rand empty_like zeros_like ones_like rand_like tensor int16
        float64 int32 abs ceil floor clamp sin asin bitwise_xor eq max mean std prod unique cross
        matmul svd sin_ cuda.is_available device reshape from_numpy
        Tensor.to Tensor.add_ Tensor.mul_ Tensor.clone Tensor.detach Tensor.unsqueeze
        Tensor.squeeze Tensor.unsqueeze_ Tensor.reshape Tensor.numpy Tensor.item Tensor.shape
    """,
    "pytorch/tutorials beginner_source/basics/autogradqs_tutorial.py": """
        ones zeros randn matmul nn.functional.binary_cross_entropy_with_logits no_grad eye ones_like
        Tensor.grad_fn Tensor.backward Tensor.grad Tensor.requires_grad Tensor.detach Tensor.pow
        Tensor.t Tensor.zero_ Tensor.requires_grad_
    """,
    "pytorch/tutorials beginner_source/basics/saveloadrun_tutorial.py": """
        save load zeros onnx.export nn.Module.state_dict nn.Module.load_state_dict nn.Module.eval
    """,
    "pytorch/tutorials beginner_source/dcgan_faces_tutorial.py (from character 16,000)": """
        nn.Module nn.Sequential nn.Conv2d nn.LeakyReLU nn.BatchNorm2d nn.Sigmoid nn.DataParallel
        nn.BCELoss randn optim.Adam full float no_grad
        Tensor.to Tensor.size Tensor.view Tensor.mean Tensor.item Tensor.fill_ Tensor.detach
        Tensor.cpu nn.Module.apply nn.Module.zero_grad nn.Module.parameters optim.Optimizer.step
    """,
    "d2l-ai/d2l-en d2l/torch.py (characters 0-48,000 and 96,000-end)": """
        utils.data.TensorDataset utils.data.DataLoader utils.data.Dataset is_tensor nn.Module
        optim.Optimizer device cuda.device_count nn.init.xavier_uniform_ nn.Linear nn.Conv2d
        optim.SGD optim.Adam nn.CrossEntropyLoss no_grad nn.BatchNorm2d nn.ReLU nn.functional.relu
        nn.functional.one_hot nn.functional.softmax float32 int32 long sqrt sum nn.LSTM nn.GRU zeros
        nn.Embedding nn.Dropout arange ones_like tensor unsqueeze repeat_interleave tanh bmm argmax
        ones meshgrid sin sinh cos cosh linspace exp log normal rand matmul cat stack abs eye
        Tensor.data Tensor.sub_ Tensor.zero_ Tensor.grad Tensor.numpy Tensor.argmax Tensor.type
        Tensor.sum Tensor.numel Tensor.size Tensor.to Tensor.detach_ Tensor.T Tensor.reshape
        Tensor.long Tensor.mean Tensor.permute Tensor.squeeze Tensor.dim Tensor.item
        Tensor.backward Tensor.unsqueeze Tensor.transpose Tensor.detach Tensor.shape
        nn.Module.apply nn.Module.to nn.Module.train nn.Module.eval nn.Module.parameters
        optim.Optimizer.zero_grad optim.Optimizer.step
    """,
}

#: names glassnet has only to refuse them in one line (they count as not had)
REFUSED = {"float16", "half", "bfloat16", "uint8", "int8", "int16", "short", "onnx.export",
           "distributed.init_process_group", "nn.parallel.DistributedDataParallel", "HalfTensor",
           "ByteTensor", "CharTensor", "ShortTensor", "BFloat16Tensor", "set_printoptions"}


def program_names() -> dict[str, set[str]]:
    """name → the corpus programs that use it (``torch.nn.functional.relu`` → ``nn.functional.relu``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PROGRAMS.glob("*.py")):
        tree = ast.parse(path.read_text())
        aliases = {}  # local name → torch path ("" for torch itself)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "torch" or a.name.startswith("torch."):
                        path_ = a.name[len("torch."):] if "." in a.name else ""
                        if a.asname:
                            aliases[a.asname] = path_
                        else:
                            aliases["torch"] = ""
                        if path_:
                            found.setdefault(path_, set()).add(path.name)
            elif isinstance(node, ast.ImportFrom) and node.module and (
                    node.module == "torch" or node.module.startswith("torch.")):
                base = node.module[len("torch."):] if "." in node.module else ""
                for a in node.names:
                    full = f"{base}.{a.name}" if base else a.name
                    aliases[a.asname or a.name] = full
                    found.setdefault(full, set()).add(path.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain, inner = [node.attr], node.value
                while isinstance(inner, ast.Attribute):
                    chain.append(inner.attr)
                    inner = inner.value
                if isinstance(inner, ast.Name) and inner.id in aliases:
                    parts = ([aliases[inner.id]] if aliases[inner.id] else []) + chain[::-1]
                    found.setdefault(".".join(parts), set()).add(path.name)
    # keep the longest chains only: nn.init.normal_ makes nn and nn.init redundant
    names = set(found)
    return {n: s for n, s in found.items() if not any(m.startswith(n + ".") for m in names)}


def all_names() -> dict[str, set[str]]:
    """Every name with its sources (programs and the files read)."""
    names = {n: {f"tests/compat/programs/{p}" for p in s} for n, s in program_names().items()}
    for source, text in READ.items():
        for name in text.split():
            names.setdefault(name, set()).add(source)
    return names


def _resolve(name: str):
    import importlib

    import glassnet
    obj = glassnet
    for i, part in enumerate(name.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:  # a submodule not imported yet (glassnet.nn.parallel)
                obj = importlib.import_module("glassnet." + ".".join(name.split(".")[:i + 1]))
            except ImportError:
                raise AttributeError(name) from None
    return obj


def status(name: str) -> str:
    if name in REFUSED:
        return "refused"
    try:
        _resolve(name)
    except AttributeError:
        return "missing"
    return "has"


def coverage() -> tuple[float, dict[str, list[str]]]:
    """(the fraction glassnet has, {"has": [...], "refused": [...], "missing": [...]})."""
    groups: dict[str, list[str]] = {"has": [], "refused": [], "missing": []}
    for name in sorted(all_names()):
        groups[status(name)].append(name)
    total = sum(len(v) for v in groups.values())
    return len(groups["has"]) / total, groups


if __name__ == "__main__":
    fraction, groups = coverage()
    print(f"{len(groups['has'])} of {sum(map(len, groups.values()))} names: {fraction:.1%}")
    for key in ("refused", "missing"):
        print(f"{key}: {' '.join(groups[key])}")
