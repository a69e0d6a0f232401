"""glassnet doctor: seed 003's debugging checklist, run automatically, with the numbers behind it.

Three ways in:

* ``glassnet.doctor.check(model, data, loss_fn, optimizer=None)`` on a glassnet or torch model;
* ``glassnet doctor --data spiral --hidden 16 8`` (the options of ``glassnet train``);
* ``glassnet doctor SCRIPT.py [--steps N] [--format text|markdown|json] [--probe]`` on an
  unmodified PyTorch (or glassnet) training script, observed through torch's global hooks
  (``glassnet.observe``) for its first N optimizer steps.

Each check (``checks_setup``, ``checks_training``) measures one thing, compares it with one
documented threshold (``Thresholds``) and returns ``Finding``s with id, severity, message,
evidence, where and fix; a ``Report`` renders them as text, Markdown, HTML or JSON.
"""
from __future__ import annotations

from .check import check, diagnose_spec
from .observed import Observed, Thresholds
from .report import Finding, Report
from .runner import CHECK_IDS, diagnose_script, run_checks

__all__ = ["check", "diagnose_script", "diagnose_spec", "run_checks", "Report", "Finding",
           "Thresholds", "Observed", "CHECK_IDS"]
