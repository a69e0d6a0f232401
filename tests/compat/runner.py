"""Run a corpus program under real torch and under glassnet posing as torch; compare the output.

``python -m tests.compat.runner`` prints, for every program in ``programs/``, whether glassnet
printed what torch printed, and the count.

Comparison: glassnet's module name is replaced by torch's (``glassnet.float32`` → ``torch.float32``,
``glassnet.Size`` → ``torch.Size``) and memory addresses are blanked; then the outputs must agree token by token, except that a
printed decimal number may differ by one unit in its last printed digit (the programs round
every float whose value depends on summation order, and a rounding can fall either way).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"
ROOT = Path(__file__).resolve().parents[2]
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+")


def run(program: Path, engine: str) -> subprocess.CompletedProcess:
    """Run ``program`` in a fresh process and a fresh folder, with torch or with glassnet."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    command = [sys.executable, str(program)] if engine == "torch" else \
        [sys.executable, "-m", "glassnet.compat", str(program)]
    with tempfile.TemporaryDirectory() as folder:
        return subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env, timeout=300)


def normalise(text: str) -> str:
    """Module names, and memory addresses (``<AddBackward0 object at 0x7f...>``), which differ from
    run to run in torch too."""
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x…", text)
    return text.replace("glassnet.", "torch.").replace("glassnet", "torch")


def _tolerance(token: str) -> float:
    if "e" in token or "." not in token:
        return 0.0 if "e" not in token else abs(float(token)) * 1e-3
    return 1.01 * 10.0 ** -len(token.split(".")[1])


def differences(expected: str, actual: str) -> list[str]:
    """The lines that differ beyond the last-digit allowance (empty: the outputs agree)."""
    expected, actual = normalise(expected).splitlines(), normalise(actual).splitlines()
    found = []
    if len(expected) != len(actual):
        found.append(f"torch printed {len(expected)} lines, glassnet {len(actual)}")
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e == a:
            continue
        e_nums, a_nums = _NUMBER.findall(e), _NUMBER.findall(a)
        same_text = _NUMBER.sub("#", e) == _NUMBER.sub("#", a) and len(e_nums) == len(a_nums)
        if same_text and all(abs(float(x) - float(y)) <= max(_tolerance(x), _tolerance(y))
                             for x, y in zip(e_nums, a_nums)):
            continue
        found.append(f"line {i + 1}: torch {e!r}\n         glassnet {a!r}")
    return found


def compare(program: Path) -> list[str]:
    torch_run, glassnet_run = run(program, "torch"), run(program, "glassnet")
    if torch_run.returncode != 0:
        return [f"the program fails under torch itself:\n{torch_run.stderr[-2000:]}"]
    if glassnet_run.returncode != 0:
        return [f"glassnet stops:\n{glassnet_run.stderr[-2000:]}"]
    return differences(torch_run.stdout, glassnet_run.stdout)


def main() -> int:
    programs = sorted(PROGRAMS.glob("*.py"))
    passed = 0
    for program in programs:
        found = compare(program)
        passed += not found
        print(f"{'ok  ' if not found else 'FAIL'} {program.name}")
        for line in found[:5]:
            print("     " + line.replace("\n", "\n     "))
    print(f"{passed} of {len(programs)} programs print what torch prints")
    return 0 if passed == len(programs) else 1


if __name__ == "__main__":
    sys.exit(main())
