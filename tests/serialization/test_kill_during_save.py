"""``kill -9`` during ``glassnet.save``: the file is always the old or the new state, and the
temporaries a killed save leaves are removed by the next save of the same file."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KILLS = 24

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kills")
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("save_killer.py")),
                           str(folder), str(KILLS), "0"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_at_least_twenty_kills_happened(report):
    assert len(report["rounds"]) == KILLS >= 20


def test_after_every_kill_the_file_loads_as_the_old_or_the_new_state(report):
    assert [r["holds"] for r in report["rounds"] if r["holds"] not in (1, 2)] == []


def test_kills_landed_both_mid_write_and_after_a_finished_save(report):
    """Otherwise the test would prove nothing: some kills must leave a temporary behind (the
    rename had not happened), and the file must have changed state at least once."""
    assert any(r["temporaries"] for r in report["rounds"])
    assert {r["holds"] for r in report["rounds"]} == {1, 2}


def test_temporaries_never_pile_up_and_a_clean_save_removes_them(report):
    """Each save removes what killed saves of the same file left, so at most the last killed
    child's temporary is ever there (without the cleanup there would be one per kill)."""
    assert max(r["temporaries"] for r in report["rounds"]) <= 1
    assert report["after_clean_save"] == [] and report["final"] == 1
