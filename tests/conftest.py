"""Shared test settings: tolerances stated once per dtype, and hypothesis profiles."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("glassnet", max_examples=int(os.environ.get("GLASSNET_EXAMPLES", "30")),
                          deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("glassnet")

# Tolerances for comparing with PyTorch: (rtol, atol) per dtype.
TOL = {"float64": (1e-9, 1e-12), "float32": (1e-5, 1e-6)}
