"""Every nn test starts from the same random state in glassnet and torch (and leaves the global
generators as it found them), so a failure always reproduces."""
import pytest

import glassnet


@pytest.fixture(autouse=True)
def seeded_generators():
    state = glassnet.random.default_generator.get_state()
    glassnet.manual_seed(0)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None:
        yield
    else:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            yield
    glassnet.random.default_generator.set_state(state)
