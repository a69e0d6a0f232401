"""``glassnet.datasets``: the built-in data sets and ``load_csv`` (defined in ``glassnet.data.datasets``).

>>> X, y = glassnet.datasets.spiral()          # or glassnet.datasets.load("spiral")
"""
from .data.datasets import (breast_cancer, circle, describe, digits, dose, gaussian, iris, load,
                            load_csv, moons, names, spiral, standardize, wine, xor)

__all__ = ["dose", "xor", "spiral", "circle", "gaussian", "moons", "digits", "iris", "breast_cancer",
           "wine", "standardize", "load_csv", "load", "names", "describe"]
