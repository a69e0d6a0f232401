"""glassnet.bridge's public names: the crossing, and the observation's names it keeps importable
(they live in glassnet.observe, the package below explain and the doctor)."""
import glassnet.bridge as bridge
import glassnet.observe as observe


def test_the_observation_names_are_glassnet_observes_own():
    for name in ("TorchObserver", "Step", "Call", "ParamStat", "Clip", "StepLimitReached"):
        assert getattr(bridge, name) is getattr(observe, name), name


def test_the_crossing_names_load_on_first_use():
    assert set(bridge.__all__) >= {"to_torch", "from_torch", "counterpart", "CrossingError"}
    assert callable(bridge.to_torch) and callable(bridge.from_torch)
    assert bridge.counterpart(object()) is None
    assert issubclass(bridge.CrossingError, TypeError)
