"""``python -m glassnet.cli.demo`` (what ``make demo`` runs): the tour of every lesson.

It prints each lesson's headline numbers and where they differ from the seeds, and writes
the self-contained report ``out/tour.html``.
"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    from .commands import main as cli_main
    return cli_main(["tour", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
