"""Kill ``glassnet.save`` with SIGKILL, again and again; report what the file looks like each time.

Run by ``test_kill_during_save.py`` as its own process (``python save_killer.py FOLDER KILLS
SEED``), so the forks below never happen inside pytest.  Each round forks a child that saves two
states in turn to FOLDER/model.safetensors as fast as it can; after a random few milliseconds
the parent kills it (``kill -9``: no cleanup, no ``finally``), then loads the file and records
which state it holds and how many temporaries the kill left.  Prints one JSON object.
"""
import json
import os
import random
import signal
import sys
import time

import numpy as np

import glassnet
from glassnet.serialization import load, save

SIZES = {1: 600_000, 2: 900_000}  # float32 values per state: a few MB, so a write takes a while


def state(tag: int) -> dict:
    return {"tag": glassnet.tensor([tag]), "w": glassnet.full((SIZES[tag],), float(tag))}


def which(path: str):
    """1 or 2 if the file holds that state exactly, else a description of what is wrong."""
    try:
        loaded = load(path)
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        return f"{type(error).__name__}: {error}"
    tag = int(loaded["tag"].numpy()[0])
    w = loaded["w"].numpy()
    if tag not in SIZES or w.shape != (SIZES[tag],) or not np.all(w == tag):
        return f"mixed state: tag {tag}, {w.shape[0]} values"
    return tag


def temporaries(folder: str) -> list:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def main(folder: str, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    path = os.path.join(folder, "model.safetensors")
    states = {1: state(1), 2: state(2)}
    save(states[1], path)
    rounds, held = [], 1
    for _ in range(kills):
        pid = os.fork()
        if pid == 0:  # the child: save, save, save … until killed
            try:
                tag = 3 - held  # the first save changes the file
                while True:
                    save(states[tag], path)
                    tag = 3 - tag
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.001, 0.06))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        holds = which(path)
        rounds.append({"holds": holds, "temporaries": len(temporaries(folder))})
        held = holds if holds in SIZES else held
    save(states[1], path)  # a clean save afterwards removes what the killed children left
    print(json.dumps({"rounds": rounds, "after_clean_save": temporaries(folder),
                      "final": which(path)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
