"""The ``glassnet`` command (``commands.py``), ``make demo``'s tour (``demo.py``) and how the command
shows lessons, training runs and the tour (``show.py``)."""
from .commands import app, main, run

__all__ = ["app", "main", "run"]
