"""``python -m glassnet.cli ...`` runs the ``glassnet`` command (as ``python -m glassnet`` does)."""
from .commands import run

run()
