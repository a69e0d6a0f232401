"""to_torch / from_torch on modules: every layer, activation and loss glassnet has, and user
subclasses (the seeds' networks), give equal outputs and gradients on both sides (float64 to
1e-12, float32 to 1e-6), in both directions; what cannot cross is named in the error."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import glassnet  # noqa: E402
import glassnet.nn as gnn  # noqa: E402
from glassnet.bridge import CrossingError, from_torch, to_torch  # noqa: E402

TOL = {np.float64: 1e-12, np.float32: 1e-6}   # stated once: absolute and relative
DTYPES = [np.float64, np.float32]


def close(a, b, dtype):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype])


def lib_of(module):
    return glassnet if isinstance(module, gnn.Module) else torch


def run(module, inputs, target=None, seed=0):
    """Output, input gradients and parameter gradients of ``module`` on copies of ``inputs``."""
    lib = lib_of(module)
    xs = [lib.tensor(np.array(a), requires_grad=np.issubdtype(a.dtype, np.floating)) for a in inputs]
    args = xs + ([lib.tensor(np.array(target))] if target is not None else [])
    out = module(*args)
    value = out.detach().numpy()
    up = np.random.default_rng(seed).uniform(0.5, 1.5, size=value.shape).astype(value.dtype)
    out.backward(lib.tensor(up))
    grads = [x.grad.numpy() for x in xs if x.requires_grad]
    params = {n: p.grad.numpy() for n, p in module.named_parameters() if p.grad is not None}
    return value, grads, params


def assert_same(a, b, inputs, dtype, target=None):
    va, ga, pa = run(a, inputs, target)
    vb, gb, pb = run(b, inputs, target)
    close(va, vb, dtype)
    for x, y in zip(ga, gb, strict=True):
        close(x, y, dtype)
    assert pa.keys() == pb.keys()
    for name in pa:
        close(pa[name], pb[name], dtype)


def x_of(shape, dtype, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def gdt(dtype):
    return glassnet.float64 if dtype is np.float64 else glassnet.float32


# -- every built-in layer and activation -----------------------------------------------------

LAYERS = {  # name → (glassnet module factory, input shape)
    "Linear": (lambda: gnn.Linear(4, 3), (5, 4)),
    "Linear(bias=False)": (lambda: gnn.Linear(4, 3, bias=False), (5, 4)),
    "Identity": (lambda: gnn.Identity(), (5, 4)),
    "Flatten": (lambda: gnn.Flatten(), (5, 2, 3)),
    "Dropout(eval)": (lambda: gnn.Dropout(0.5).eval(), (5, 4)),
    "Dropout(p=0)": (lambda: gnn.Dropout(0.0), (5, 4)),
    "ReLU": (lambda: gnn.ReLU(), (5, 4)),
    "LeakyReLU": (lambda: gnn.LeakyReLU(0.2), (5, 4)),
    "Sigmoid": (lambda: gnn.Sigmoid(), (5, 4)),
    "Tanh": (lambda: gnn.Tanh(), (5, 4)),
    "Softmax": (lambda: gnn.Softmax(dim=1), (5, 4)),
    "LogSoftmax": (lambda: gnn.LogSoftmax(dim=1), (5, 4)),
    "GELU": (lambda: gnn.GELU(), (5, 4)),
    "GELU(tanh)": (lambda: gnn.GELU(approximate="tanh"), (5, 4)),
    "SiLU": (lambda: gnn.SiLU(), (5, 4)),
    "Mish": (lambda: gnn.Mish(), (5, 4)),
    "TransformerEncoderLayer": (lambda: gnn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, activation="gelu",
                                                                    norm_first=True), (3, 2, 4)),
    "TransformerEncoder": (lambda: gnn.TransformerEncoder(gnn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, batch_first=True), 2, norm=gnn.LayerNorm(4)), (2, 3, 4)),
    "LayerNorm": (lambda: gnn.LayerNorm(4, eps=1e-3), (5, 4)),
    "BatchNorm1d": (lambda: gnn.BatchNorm1d(4, momentum=0.2), (5, 4)),
    "BatchNorm1d(eval)": (lambda: gnn.BatchNorm1d(4).eval(), (5, 4)),
    "BatchNorm2d": (lambda: gnn.BatchNorm2d(3, momentum=None), (4, 3, 2, 2)),
    "BatchNorm2d(eval)": (lambda: gnn.BatchNorm2d(3, affine=False).eval(), (4, 3, 2, 2)),
    "Dropout2d(eval)": (lambda: gnn.Dropout2d(0.5).eval(), (2, 3, 2, 2)),
    "Dropout2d(p=0)": (lambda: gnn.Dropout2d(0.0), (2, 3, 2, 2)),
    "Unflatten": (lambda: gnn.Unflatten(1, (2, 3)), (5, 6)),
    "Conv1d": (lambda: gnn.Conv1d(2, 4, 3, stride=2, padding=1), (3, 2, 9)),
    "Conv2d": (lambda: gnn.Conv2d(2, 4, 3, padding="same", dilation=2, groups=2), (3, 2, 6, 5)),
    "ConvTranspose1d": (lambda: gnn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), (3, 2, 5)),
    "ConvTranspose2d": (lambda: gnn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, bias=False), (3, 4, 3, 3)),
    "MaxPool1d": (lambda: gnn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 9)),
    "MaxPool2d": (lambda: gnn.MaxPool2d(2), (2, 3, 6, 5)),
    "AvgPool1d": (lambda: gnn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9)),
    "AvgPool2d": (lambda: gnn.AvgPool2d((2, 3), 1, 1, ceil_mode=True), (2, 3, 6, 5)),
    "AdaptiveAvgPool2d": (lambda: gnn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    "AdaptiveMaxPool2d": (lambda: gnn.AdaptiveMaxPool2d(3), (2, 3, 7, 5)),
    "Upsample": (lambda: gnn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    "GroupNorm": (lambda: gnn.GroupNorm(2, 4, eps=1e-3), (3, 4, 2, 3)),
    "InstanceNorm1d": (lambda: gnn.InstanceNorm1d(3, affine=True), (2, 3, 5)),
    "InstanceNorm2d(running stats)": (lambda: gnn.InstanceNorm2d(3, track_running_stats=True), (2, 3, 4, 3)),
    "InstanceNorm2d(eval)": (lambda: gnn.InstanceNorm2d(3, affine=True, track_running_stats=True).eval(),
                             (2, 3, 4, 3)),
    "PixelShuffle": (lambda: gnn.PixelShuffle(2), (2, 8, 3, 2)),
    "PixelUnshuffle": (lambda: gnn.PixelUnshuffle(2), (2, 2, 4, 6)),
    "Unfold": (lambda: gnn.Unfold((2, 3), padding=1, stride=2), (2, 3, 5, 4)),
    "Fold": (lambda: gnn.Fold((4, 5), 2, stride=(1, 2)), (2, 8, 6)),
    "Sequential": (lambda: gnn.Sequential(gnn.Linear(4, 8), gnn.Tanh(), gnn.Dropout(0.0),
                                          gnn.Linear(8, 2)), (5, 4)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_every_layer_crosses_both_ways_with_equal_outputs_and_gradients(name, dtype):
    make, shape = LAYERS[name]
    glassnet.manual_seed(0)
    g = make().to(gdt(dtype))
    t = to_torch(g)
    assert type(t).__name__ == type(g).__name__ and t.training == g.training
    assert_same(g, t, [x_of(shape, dtype)], dtype)
    back = from_torch(t)
    assert type(back) is type(g)
    assert_same(back, t, [x_of(shape, dtype, seed=2)], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_lazy_linear_crosses_before_and_after_its_first_call(dtype):
    """Before: the other engine's LazyLinear (bias, dtype); with parameters loaded but not yet
    called: those values; after: a Linear (crossing as any Linear)."""
    for bias in (True, False):
        g = gnn.LazyLinear(3, bias=bias, dtype=gdt(dtype))
        t = to_torch(g)
        assert type(t) is torch.nn.LazyLinear and repr(t) == repr(g)
        assert t.weight.dtype == (torch.float64 if dtype is np.float64 else torch.float32)
        back = from_torch(t)
        assert type(back) is gnn.LazyLinear and repr(back) == repr(g) and back.weight.dtype == gdt(dtype)
        for m, lib in ((back, glassnet), (t, torch)):           # each side draws its own init
            m(lib.tensor(x_of((2, 4), dtype)))
        assert repr(back) == repr(t) == f"Linear(in_features=4, out_features=3, bias={bias})"
    loaded = gnn.LazyLinear(3, dtype=gdt(dtype))
    loaded.load_state_dict(gnn.Linear(4, 3).to(gdt(dtype)).state_dict())
    t = to_torch(loaded)
    assert type(t) is torch.nn.LazyLinear
    assert_same(loaded, t, [x_of((2, 4), dtype)], dtype)
    assert type(t) is torch.nn.Linear and type(loaded) is gnn.Linear
    assert type(from_torch(t)) is gnn.Linear


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_lazy_conv_and_batch_norm_cross_before_and_after_their_first_call(dtype):
    """Not yet called: the other engine's lazy module with the same arguments and dtype (a lazy
    batch norm with buffers loaded carries them); called: the layer it became, with the values."""
    for make, shape in ((lambda: gnn.LazyConv2d(3, 2, stride=2, padding=1, bias=False, dtype=gdt(dtype)), (2, 4, 5, 5)),
                        (lambda: gnn.LazyConvTranspose1d(3, 3, stride=2, output_padding=1, dtype=gdt(dtype)), (2, 4, 5)),
                        (lambda: gnn.LazyBatchNorm2d(momentum=0.3, affine=False, dtype=gdt(dtype)), (4, 3, 2, 2))):
        g = make()
        t = to_torch(g)
        assert type(t).__name__ == type(g).__name__ and repr(t) == repr(g)
        tdt = torch.float64 if dtype is np.float64 else torch.float32
        assert all(v.dtype == tdt for k, v in t.state_dict().items() if k != "num_batches_tracked")
        back = from_torch(t)
        assert type(back) is type(g) and repr(back) == repr(g)
        g(glassnet.tensor(x_of(shape, dtype)))
        assert_same(g, to_torch(g), [x_of(shape, dtype, seed=3)], dtype)
    loaded = gnn.LazyBatchNorm2d(dtype=gdt(dtype))
    src = gnn.BatchNorm2d(3).to(gdt(dtype))
    with glassnet.no_grad():
        src.running_var.copy_(glassnet.tensor([0.5, 2.0, 4.0]))
    loaded.load_state_dict(src.state_dict())
    t = to_torch(loaded)
    assert type(t) is torch.nn.LazyBatchNorm2d
    np.testing.assert_array_equal(t.running_var.numpy(), [0.5, 2.0, 4.0])
    assert t.running_var.dtype == (torch.float64 if dtype is np.float64 else torch.float32)


def test_the_layer_table_covers_every_module_glassnet_has():
    covered = ({name.split("(")[0] for name in LAYERS} | set(LOSSES) | {"ModuleList", "Module", "Embedding"}
               | {n.split("(")[0] for n in SEVERAL_INPUTS} | {"ModuleDict", "ParameterList", "ParameterDict"}  # tests/nn/test_containers.py
               | {name.split("(")[0] for name in RECURRENT} | {"RNNBase", "RNNCellBase"}
               | {"DataParallel"}  # tests/compat/test_long_tail.py (crosses, torch's state dict keys)
               | {"LazyLinear", "UninitializedParameter"}  # test_lazy_linear_crosses_before_and_after_its_first_call
               | {"LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",  # test_lazy_conv_and
                  "LazyBatchNorm1d", "LazyBatchNorm2d"})  # _batch_norm_cross_before_and_after_their_first_call
    everything = {n for n in gnn.__all__ if isinstance(getattr(gnn, n), type)
                  and issubclass(getattr(gnn, n), gnn.Module)}
    assert everything <= covered, everything - covered


SEVERAL_INPUTS = {  # name → (factory, input shapes, keyword arguments as NumPy arrays)
    "MultiheadAttention": (lambda: gnn.MultiheadAttention(4, 2, kdim=3, vdim=5, batch_first=True),
                           [(2, 3, 4), (2, 5, 3), (2, 5, 5)], {"key_padding_mask": np.eye(2, 5, dtype=bool)}),
    "MultiheadAttention(add_bias_kv)": (
        lambda: gnn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True),
        [(3, 2, 4), (5, 2, 4), (5, 2, 4)], {"key_padding_mask": np.eye(2, 5, dtype=bool)}),
    "TransformerDecoderLayer": (lambda: gnn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), [(3, 2, 4), (5, 2, 4)],
                                {"tgt_mask": np.triu(np.full((3, 3), -np.inf), 1)}),
    "TransformerDecoder": (lambda: gnn.TransformerDecoder(gnn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 2),
                           [(3, 2, 4), (5, 2, 4)], {}),
    "Transformer": (lambda: gnn.Transformer(4, 2, 1, 1, 8, dropout=0.0), [(5, 2, 4), (3, 2, 4)], {}),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(SEVERAL_INPUTS))
def test_attention_and_transformers_cross_both_ways(name, dtype):
    make, shapes, kwargs = SEVERAL_INPUTS[name]
    glassnet.manual_seed(0)
    g = make().to(gdt(dtype))

    def first(module):
        lib = lib_of(module)
        extra = {k: lib.tensor(v.astype(dtype) if v.dtype != bool else v) for k, v in kwargs.items()}

        class Wrapped(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = module

            def forward(self, *xs):
                out = self.inner(*xs, **extra)
                return out[0] if isinstance(out, tuple) else out
        return Wrapped()
    t = to_torch(g)
    assert type(t).__name__ == name.split("(")[0] and list(t.state_dict()) == list(g.state_dict())
    xs = [x_of(s, dtype, seed=i) for i, s in enumerate(shapes)]
    assert_same(first(g), first(t), xs, dtype)
    back = from_torch(t)
    assert type(back) is type(g) and repr(back) == repr(g)
    assert_same(first(back), first(t), xs, dtype)


RECURRENT = {  # name → (glassnet module factory, input shape); outputs (y, h) or (y, (h, c)) flattened
    "RNN": (lambda: gnn.RNN(3, 4, 2, nonlinearity="relu", bidirectional=True), (5, 2, 3)),
    "LSTM": (lambda: gnn.LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5).eval(), (2, 5, 3)),
    "LSTM(bidirectional)": (lambda: gnn.LSTM(3, 4, bias=False, bidirectional=True), (5, 2, 3)),
    "LSTM(proj_size)": (lambda: gnn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2), (5, 2, 3)),
    "GRU": (lambda: gnn.GRU(3, 4, num_layers=2, bidirectional=True), (5, 2, 3)),
    "RNNCell": (lambda: gnn.RNNCell(3, 4, nonlinearity="relu"), (2, 3)),
    "LSTMCell": (lambda: gnn.LSTMCell(3, 4), (2, 3)),
    "GRUCell": (lambda: gnn.GRUCell(3, 4, bias=False), (2, 3)),
}


def _flat(module):
    """A module of the same engine returning ``module``'s outputs joined into one tensor, so that
    ``run`` can compare them."""
    lib = lib_of(module)

    class Flat(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, x):
            out = self.inner(x)
            parts = [out] if not isinstance(out, tuple) else [
                p for o in out for p in (o if isinstance(o, tuple) else (o,))]
            return lib.cat([p.reshape(-1) for p in parts])
    return Flat()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(RECURRENT))
def test_recurrent_modules_cross_both_ways(name, dtype):
    make, shape = RECURRENT[name]
    glassnet.manual_seed(0)
    g = make().to(gdt(dtype))
    t = to_torch(g)
    assert type(t).__name__ == type(g).__name__ and repr(t) == repr(g) and t.training == g.training
    assert list(t.state_dict()) == list(g.state_dict())
    lib_of(g).manual_seed(0)
    assert_same(_flat(g), _flat(t), [x_of(shape, dtype)], dtype)
    back = from_torch(t)
    assert type(back) is type(g) and repr(back) == repr(g)
    if isinstance(back, gnn.RNNBase):     # torch's list of parameters, rebuilt on each side
        assert all(a is b for a, b in zip(back._flat_weights, back.parameters(), strict=True))
        assert all(a is b for a, b in zip(t._flat_weights, t.parameters(), strict=True))
    assert_same(_flat(back), _flat(t), [x_of(shape, dtype, seed=2)], dtype)
    made = from_torch(getattr(torch.nn, type(g).__name__)(3, 4))   # a fresh torch module too
    assert list(made.state_dict()) == list(getattr(torch.nn, type(g).__name__)(3, 4).state_dict())


def test_module_list_and_options_cross():
    g = gnn.ModuleList([gnn.Linear(2, 3), gnn.LeakyReLU(0.3), gnn.Dropout(0.25)])
    t = to_torch(g)
    assert isinstance(t, torch.nn.ModuleList) and len(t) == 3
    assert t[1].negative_slope == 0.3 and t[2].p == 0.25
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in g.named_parameters()]


# -- losses ---------------------------------------------------------------------------------

def _classes(dtype):
    return np.array([0, 2, 1, 2, 0])


LOSSES = {  # name → (factory taking the dtype, input shape, target maker)
    "MSELoss": (lambda d: gnn.MSELoss(), (5, 3), lambda d: x_of((5, 3), d, 7)),
    "L1Loss": (lambda d: gnn.L1Loss(reduction="sum"), (5, 3), lambda d: x_of((5, 3), d, 7)),
    "BCELoss": (lambda d: gnn.BCELoss(weight=glassnet.tensor(np.array([0.5, 1, 2], d))), (5, 3),
                lambda d: (x_of((5, 3), d, 7) > 0).astype(d)),
    "BCEWithLogitsLoss": (lambda d: gnn.BCEWithLogitsLoss(pos_weight=glassnet.tensor(
        np.array([2, 1, 0.5], d))), (5, 3), lambda d: (x_of((5, 3), d, 7) > 0).astype(d)),
    "CrossEntropyLoss": (lambda d: gnn.CrossEntropyLoss(weight=glassnet.tensor(np.array([1, 2, 3], d)),
                                                        label_smoothing=0.1), (5, 3), _classes),
    "NLLLoss": (lambda d: gnn.NLLLoss(ignore_index=1), (5, 3), _classes),
    "SmoothL1Loss": (lambda d: gnn.SmoothL1Loss(beta=0.5), (5, 3), lambda d: x_of((5, 3), d, 7)),
    "HuberLoss": (lambda d: gnn.HuberLoss(delta=0.5), (5, 3), lambda d: x_of((5, 3), d, 7)),
    "KLDivLoss": (lambda d: gnn.KLDivLoss(reduction="batchmean", log_target=True), (5, 3),
                  lambda d: x_of((5, 3), d, 7)),
    "PoissonNLLLoss": (lambda d: gnn.PoissonNLLLoss(full=True), (5, 3),
                       lambda d: np.abs(x_of((5, 3), d, 7)) * 3),
    # several inputs: a list of shapes, the target (if any) last
    "CosineEmbeddingLoss": (lambda d: gnn.CosineEmbeddingLoss(margin=0.2), [(5, 3), (5, 3)],
                            lambda d: np.array([1, -1, 1, -1, -1])),
    "MarginRankingLoss": (lambda d: gnn.MarginRankingLoss(margin=0.1, reduction="sum"), [(5,), (5,)],
                          lambda d: np.array([1, -1, 1, -1, -1], d)),
    "TripletMarginLoss": (lambda d: gnn.TripletMarginLoss(margin=1.0, p=3.0, swap=True),
                          [(5, 3), (5, 3), (5, 3)], None),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_crosses_both_ways_with_equal_values_and_gradients(name, dtype):
    make, shape, target = LOSSES[name]
    g = make(dtype)
    shapes = shape if isinstance(shape, list) else [shape]
    xs = [x_of(s, dtype, seed=1 + i) for i, s in enumerate(shapes)]
    if name == "BCELoss":
        xs = [1 / (1 + np.exp(-xs[0]))]
    if name in ("NLLLoss", "KLDivLoss"):
        xs = [xs[0] - np.log(np.exp(xs[0]).sum(1, keepdims=True))]
    y = target(dtype) if target is not None else None
    t = to_torch(g)
    assert_same(g, t, xs, dtype, y)
    assert_same(from_torch(t), t, xs, dtype, y)
    assert dict(t.named_buffers()).keys() == dict(g.named_buffers()).keys()


# -- user subclasses: the seeds' networks ----------------------------------------------------

def seed_networks():
    from glassnet.lessons.examples import DiagonalFlipNet, XORNet
    from glassnet.lessons.dose import MyBasicNN_train
    from glassnet.lessons.spiral import NeuralNetwork
    from glassnet.lessons.xor_linear import simpleNN
    from glassnet.lessons.xor_worked_example import XORNet as RetainingXORNet
    return {"DiagonalFlipNet": (DiagonalFlipNet, (6, 4)), "NeuralNetwork": (NeuralNetwork, (6, 2)),
            "XORNet": (XORNet, (6, 2)), "XORNet(retaining)": (RetainingXORNet, (6, 2)),
            "MyBasicNN_train": (MyBasicNN_train, (6,)), "simpleNN": (simpleNN, (6, 2))}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(seed_networks()))
def test_user_subclasses_cross_with_their_own_forward(name, dtype):
    cls, shape = seed_networks()[name]
    glassnet.manual_seed(3)
    g = cls().to(gdt(dtype))
    t = to_torch(g)
    assert isinstance(t, torch.nn.Module) and type(t).__name__ == cls.__name__
    assert list(t.state_dict()) == list(g.state_dict())
    assert [p.requires_grad for p in t.parameters()] == [p.requires_grad for p in g.parameters()]
    assert_same(g, t, [x_of(shape, dtype)], dtype)
    back = from_torch(t)
    assert type(back) is cls
    assert_same(back, t, [x_of(shape, dtype, 4)], dtype)


def test_a_torch_subclass_crosses_to_glassnet_and_back():
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(3, 4)
            self.b = torch.nn.Linear(4, 1)
            self.scale = 0.5

        def forward(self, x):
            return torch.sigmoid(self.b(torch.nn.functional.relu(self.a(x))) * self.scale)

    torch.manual_seed(0)
    t = TorchNet().double()
    g = from_torch(t)
    assert isinstance(g, gnn.Module) and g.scale == 0.5
    assert_same(g, t, [x_of((7, 3), np.float64)], np.float64)
    assert type(to_torch(g)) is TorchNet
    fresh = type(g)()   # the crossed class is a whole glassnet class: its __init__ runs too
    assert isinstance(fresh.a, gnn.Linear)


def test_subclass_of_a_builtin_layer_keeps_super():
    class Scaled(gnn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    glassnet.manual_seed(0)
    g = Scaled(3, 2).double()
    t = to_torch(g)
    assert isinstance(t, torch.nn.Linear)
    assert_same(g, t, [x_of((4, 3), np.float64)], np.float64)


@given(batch=st.integers(1, 9), width=st.integers(1, 6), out=st.integers(1, 4))
def test_any_shape_of_mlp_crosses(batch, width, out):
    glassnet.manual_seed(batch * 100 + width)
    g = gnn.Sequential(gnn.Linear(3, width), gnn.ReLU(), gnn.Linear(width, out)).double()
    assert_same(g, to_torch(g), [x_of((batch, 3), np.float64)], np.float64)


def test_values_grads_mode_and_shared_parameters_are_kept():
    lin = gnn.Linear(2, 2)
    g = gnn.Sequential(lin, gnn.Tanh(), lin).eval()
    g(glassnet.randn(3, 2)).sum().backward()
    t = to_torch(g)
    assert not t.training and t[0] is t[2]
    assert len(list(t.parameters())) == 2
    np.testing.assert_array_equal(t[0].weight.grad.numpy(), lin.weight.grad.numpy())
    np.testing.assert_array_equal(t[0].weight.detach().numpy(), lin.weight.detach().numpy())
    assert t[0].weight.dtype == torch.float32


# -- what cannot cross ----------------------------------------------------------------------

def test_a_torch_layer_glassnet_lacks_is_named():
    model = torch.nn.Sequential(torch.nn.Bilinear(2, 2, 3), torch.nn.ReLU())
    with pytest.raises(CrossingError, match=r"Sequential\.0 \(Bilinear\).*Bilinear"):
        from_torch(model)


def test_exact_values_and_half_precision_are_named():
    g = gnn.Linear(2, 1).to(glassnet.exact)
    with pytest.raises(CrossingError, match=r"Linear\.weight is glassnet\.exact"):
        to_torch(g)
    with pytest.raises(CrossingError, match=r"Linear\.weight is torch\.float16"):
        from_torch(torch.nn.Linear(2, 1).half())


def test_hooks_are_refused_with_the_fix():
    g = gnn.Linear(2, 1)
    g.register_forward_hook(lambda m, i, o: None)
    with pytest.raises(CrossingError, match="forward hooks.*remove"):
        to_torch(g)


def test_a_forward_using_what_torch_lacks_is_named():
    class Exactly(gnn.Module):
        def forward(self, x):
            return x.to(glassnet.exact)

    with pytest.raises(CrossingError, match=r"Exactly\.forward uses glassnet\.exact"):
        to_torch(Exactly())


def test_other_objects_are_refused():
    with pytest.raises(CrossingError, match="cannot cross"):
        to_torch([1, 2])


def test_embedding_crosses_with_its_rows_and_padding_index():
    glassnet.manual_seed(0)
    g = gnn.Embedding(10, 3, padding_idx=0)
    t = to_torch(g)
    assert type(t) is torch.nn.Embedding and t.padding_idx == 0
    idx = np.array([[1, 0, 4], [9, 4, 0]])
    out_g, out_t = g(glassnet.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
    out_g.sum().backward(), out_t.sum().backward()
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)
    back = from_torch(t)
    assert type(back) is gnn.Embedding and back.padding_idx == 0
    np.testing.assert_array_equal(back.weight.detach().numpy(), t.weight.detach().numpy())


def test_loss_options_and_batch_norm_statistics_cross():
    assert to_torch(gnn.SmoothL1Loss(beta=0.25)).beta == 0.25
    assert to_torch(gnn.HuberLoss(delta=0.75)).delta == 0.75
    assert from_torch(torch.nn.HuberLoss(delta=0.3)).delta == 0.3
    g = gnn.BatchNorm1d(3, momentum=0.3)
    g(glassnet.tensor(x_of((8, 3), np.float32)))           # training mode: running statistics move
    t = to_torch(g)
    assert t.momentum == 0.3 and int(t.num_batches_tracked) == 1
    np.testing.assert_allclose(t.running_mean.numpy(), g.running_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(t.running_var.numpy(), g.running_var.numpy(), rtol=1e-6)
