"""A module's registries (``_parameters``, ``_modules``) and its attributes never disagree, however
they are written: ``model.fc = layer``, ``model._modules["fc"] = layer`` (as torch code does),
``del``, ``pop``, ``update``, a registry replaced whole; copies keep it so.  Every write counts in
``glassnet.nn.registry.STRUCTURE``; making a copy does not."""
import copy

import numpy as np

import glassnet
from glassnet import nn
from glassnet.nn.registry import STRUCTURE


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)


def _constant_layer(value: float) -> nn.Linear:
    layer = nn.Linear(2, 1)
    with glassnet.no_grad():
        layer.weight.fill_(0.0)
        layer.bias.fill_(value)
    return layer


def test_a_layer_written_into_the_registry_is_the_one_forward_runs():
    model, new = Net(), _constant_layer(20.0)
    model._modules["fc"] = new
    assert model.fc is new and float(model(glassnet.ones(2)).item()) == 20.0
    assert [id(p) for p in model.parameters()] == [id(new.weight), id(new.bias)]
    w = nn.Parameter(glassnet.ones(3))
    model._parameters["w"] = w
    assert model.w is w and dict(model.named_parameters())["w"] is w


def test_removing_from_the_registry_removes_the_attribute():
    model = Net()
    del model._modules["fc"]
    assert not hasattr(model, "fc")
    model._modules.update({"a": nn.Tanh(), "b": nn.ReLU()})
    assert isinstance(model.a, nn.Tanh) and isinstance(model.b, nn.ReLU)
    assert isinstance(model._modules.pop("a"), nn.Tanh) and not hasattr(model, "a")
    assert model._modules.pop("a", None) is None and isinstance(model.b, nn.ReLU)
    model._modules.setdefault("c", nn.Sigmoid())
    assert isinstance(model.c, nn.Sigmoid)
    model._modules.clear()
    assert not hasattr(model, "b") and not hasattr(model, "c") and list(model.children()) == []


def test_a_registry_replaced_whole_gives_the_attributes():
    model, new = Net(), _constant_layer(3.0)
    model._modules = {"other": new}
    assert not hasattr(model, "fc") and model.other is new
    model._modules["fc"] = _constant_layer(5.0)
    assert float(model(glassnet.ones(2)).item()) == 5.0


def test_a_copy_has_registries_of_its_own_and_copying_counts_nothing():
    model = Net()
    version = STRUCTURE[0]
    twin = copy.deepcopy(model)
    assert STRUCTURE[0] == version
    twin._modules["fc"] = _constant_layer(7.0)
    assert float(twin(glassnet.ones(2)).item()) == 7.0
    assert model.fc is not twin.fc and model._modules["fc"] is model.fc
    np.testing.assert_array_equal(model.fc.weight.array, model._modules["fc"].weight.array)


def test_every_change_counts():
    model = Net()
    for change in (lambda: setattr(model, "g", nn.ReLU()),
                   lambda: model._modules.__setitem__("h", nn.ReLU()),
                   lambda: delattr(model, "g"), lambda: model._modules.pop("h"),
                   lambda: model.register_parameter("p", nn.Parameter(glassnet.ones(1))),
                   lambda: setattr(model, "p", None)):
        version = STRUCTURE[0]
        change()
        assert STRUCTURE[0] > version
