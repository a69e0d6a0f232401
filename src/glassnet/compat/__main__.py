"""``python -m glassnet.compat program.py``: run an unmodified PyTorch program on glassnet."""
from . import main

raise SystemExit(main())
