"""glassnet doctor: how much of the planted-bug corpus it catches, its false alarms on the fixed
twins, how long 200 steps of a small MLP script take under it, and what observing costs.

* detected / total: buggy scripts in tests/doctor/cases whose planted id is reported;
* false alarms: fixed twins with an error (and, separately, with a warning);
* end to end: `glassnet doctor SCRIPT.py` as a user runs it (new process, torch import included);
* overhead: the same script stopped at step 200 by a bare optimizer hook, against the full
  observation (best of 5 each, one torch thread).  Goals: <= 15 s end to end, <= 2x overhead.
"""
from __future__ import annotations

import re
import runpy
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "doctor" / "cases"
HEALTHY = ROOT / "tests" / "doctor" / "healthy"
sys.path.insert(0, str(ROOT / "src"))


def corpus():
    from glassnet import doctor
    detected, bugs, errors, warnings, twins = 0, 0, [], [], 0
    for script in sorted(CASES.glob("*.py")):
        text = script.read_text()
        expect = re.search(r"^# doctor: expect (\S+)", text, re.M).group(1)
        steps = None if "--steps all" in text else 200
        report = doctor.diagnose_script(script, steps, probe="--probe" in text, threads=1)
        if expect == "none":
            twins += 1
            errors += [script.name] if report.errors else []
            warnings += [script.name] if report.ids("warning") else []
        else:
            bugs += 1
            detected += expect in report.ids()
            if expect not in report.ids():
                print(f"  missed: {script.name} (expected {expect}, got {sorted(report.ids())})")
    print(f"corpus: detected {detected}/{bugs} (planted bugs and the seed's noisy spiral); false alarms on {twins} clean scripts: "
          f"{len(errors)} with an error {errors or ''}, {len(warnings)} with a warning {warnings or ''}")
    healthy = sorted(HEALTHY.glob("*.py"))
    alarms = [p.name for p in healthy if doctor.diagnose_script(p, threads=1).errors]
    print(f"healthy programs by others: {len(alarms)} of {len(healthy)} with an error {alarms or ''}")


def _plain(script: Path, steps: int | None) -> float:
    """The script on its own, stopped at ``steps`` by one optimizer post-hook (None: its end)."""
    import torch.optim.optimizer as hooks
    count = [0]

    class Stop(BaseException):
        pass

    def post(opt, args, kwargs):
        count[0] += 1
        if steps is not None and count[0] >= steps:
            raise Stop
    handle = hooks.register_optimizer_step_post_hook(post)
    start = time.perf_counter()
    try:
        runpy.run_path(str(script), run_name="__main__")
    except Stop:
        pass
    finally:
        handle.remove()
    return time.perf_counter() - start


def _observed(script: Path, steps: int) -> float:
    from glassnet import doctor
    start = time.perf_counter()
    doctor.diagnose_script(script, steps=steps, threads=1)
    return time.perf_counter() - start


def overhead(name: str, steps: int | None = 200, repeats: int = 5, folder: Path = CASES):
    import contextlib
    import io
    import torch
    torch.set_num_threads(1)
    script = folder / name
    with contextlib.redirect_stdout(io.StringIO()):
        _plain(script, steps), _observed(script, steps)          # warm up imports and caches
        plain = min(_plain(script, steps) for _ in range(repeats))
    seen = min(_observed(script, steps) for _ in range(repeats))
    ratio = seen / plain
    print(f"overhead on {name} (--steps {steps or 'all'}): script alone {plain:.3f} s, under glassnet doctor {seen:.3f} s "
          f"(observation, checks and report), ratio {ratio:.2f} (goal <= 2: "
          f"{'met' if ratio <= 2 else 'NOT met'})")


def end_to_end(name: str, steps: int = 200, repeats: int = 3, folder: Path = CASES):
    exe = Path(sys.executable).with_name("glassnet")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "glassnet"]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command + ["doctor", str(folder / name), "--steps", str(steps),
                                  "--threads", "1", "--format", "json"],
                       capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
    start_up = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, glassnet.cli"], check=False)
        start_up = min(start_up, time.perf_counter() - start)
    print(f"end to end: glassnet doctor {name} --steps {steps}: {best:.2f} s, of which {start_up:.2f} s "
          f"is starting Python with torch and glassnet (goal <= 15 s: {'met' if best <= 15 else 'NOT met'})")


if __name__ == "__main__":
    if "--quick" not in sys.argv:
        corpus()
    for case in ("loss_activation_fixed.py", "softmax_ce_fixed.py"):
        overhead(case)
    overhead("cnn_digits.py", folder=HEALTHY)                    # a small CNN, 200 steps
    overhead("late_divergence_fixed.py", steps=None, repeats=3)  # --steps all: a 1000-step run
    end_to_end("loss_activation_fixed.py")
    end_to_end("cnn_digits.py", folder=HEALTHY)
