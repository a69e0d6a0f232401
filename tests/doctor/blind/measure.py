"""Run `glassnet doctor` on the blind corpus and print what it found, per script.

    PYTHONPATH=src python tests/doctor/blind/measure.py [--jobs 2] [--steps all] [--out results.json]

Each script states the ids that would name its bug (``# blind: expect a|b``, or ``none``).
A bug counts as named when the report holds one of those ids (any severity); a fixed twin or
healthy program counts as a false alarm when the report holds any error.
"""
import argparse
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).parent
GROUPS = ("bugs", "fixed", "healthy")


def expectation(path):
    text = Path(path).read_text()
    expect = re.search(r"^# blind: expect (\S+)", text, re.M).group(1)
    return set() if expect == "none" else set(expect.split("|"))


def run_doctor(path, steps="200", timeout=300):
    cmd = [sys.executable, "-m", "glassnet", "doctor", str(path), "--format", "json", "--threads", "1",
           "--steps", steps]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"crash": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"],
                "code": proc.returncode, "seconds": seconds, "findings": []}
    return {"code": proc.returncode, "seconds": seconds, "findings": report["findings"],
            "steps_observed": report.get("steps_observed"), "stopped": report.get("stopped")}


def judge(group, path, result):
    expect = expectation(path)
    ids = {f["id"] for f in result["findings"]}
    errors = {f["id"] for f in result["findings"] if f["severity"] == "error"}
    if "crash" in result:
        ok = False
    elif group == "bugs":
        ok = bool(expect & ids)
    else:
        ok = not errors
    return {"group": group, "name": path.stem, "expect": sorted(expect), "ok": ok,
            "ids": sorted(ids), "errors": sorted(errors), **result}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--steps", default="200")
    ap.add_argument("--only", nargs="*", help="script stems to run")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    jobs = [(g, p) for g in GROUPS for p in sorted((HERE / g).glob("*.py"))
            if not args.only or p.stem in args.only]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda gp: judge(gp[0], gp[1], run_doctor(gp[1], args.steps)), jobs))
    for r in results:
        first = next((f for f in r["findings"] if f["severity"] == "error"), None) or \
            (r["findings"][0] if r["findings"] else None)
        line = r.get("crash") or (f"{first['severity']} {first['id']}: {first['message'][:150]}" if first else "-")
        print(f"{r['group']:8} {r['name']:38} {'ok ' if r['ok'] else 'BAD'} {r['seconds']:5.1f}s "
              f"ids={','.join(r['ids'])} | {line}")
    for g in GROUPS:
        rs = [r for r in results if r["group"] == g]
        print(f"{g}: {sum(r['ok'] for r in rs)}/{len(rs)} ok")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
