"""The long tail of torch's API that real programs touch (issue 25), each against torch: ``out=``,
the legacy tensor types, ``Variable``, ``nonzero``/``index_fill``/``index_add``/``masked_scatter``,
in-place ops on tensors of the graph, ``trunc_normal_``, the importable stubs (amp, onnx,
distributed, nn.parallel), the refused dtypes and ``load`` of glassnet and torch files."""
import io
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
import glassnet.nn as gnn

torch = pytest.importorskip("torch")


def _both(fn):
    """Run ``fn(lib)`` with torch and glassnet: (value or exception type) each."""
    out = []
    for lib in (torch, glassnet):
        try:
            r = fn(lib)
            out.append(r.tolist() if hasattr(r, "tolist") else r)
        except Exception as err:  # noqa: BLE001 - the exception type is what is compared
            out.append(type(err))
    return out


# -- out= -----------------------------------------------------------------------------------------
OUT_CASES = {
    "matmul": lambda t: t.matmul(t.ones(2, 3), t.ones(3, 2), out=t.empty(0)),
    "matmul-resize": lambda t: t.matmul(t.ones(2, 3), t.ones(3, 2), out=t.empty(5)),
    "add": lambda t: t.add(t.ones(2), 2, out=t.empty(2)),
    "add-alpha": lambda t: t.add(t.ones(2), t.ones(2), alpha=3, out=t.empty(2)),
    "sub": lambda t: t.sub(t.ones(2), 0.5, out=t.empty(2)),
    "mul-into-double": lambda t: t.mul(t.ones(2), 2, out=t.zeros(2, dtype=t.float64)),
    "div": lambda t: t.div(t.ones(2), 4, out=t.empty(2)),
    "float-into-long": lambda t: t.add(t.ones(2), 1.5, out=t.zeros(2, dtype=t.long)),
    "long-into-float": lambda t: t.add(t.ones(2, dtype=t.long), 1, out=t.zeros(2)),
    "cat": lambda t: t.cat([t.ones(2), t.zeros(2)], out=t.empty(4)),
    "stack": lambda t: t.stack([t.ones(2), t.zeros(2)], 1, out=t.empty(0)),
    "sum-dim": lambda t: t.sum(t.arange(6.).reshape(2, 3), 1, out=t.empty(2)),
    "mean-dim": lambda t: t.mean(t.arange(6.).reshape(2, 3), dim=0, out=t.empty(3)),
    "sum-no-dim": lambda t: t.sum(t.ones(2, 3), out=t.empty(())),
    "clamp": lambda t: t.clamp(t.tensor([-1.0, 0.5, 2.0]), 0, 1, out=t.empty(3)),
    "exp": lambda t: t.exp(t.zeros(2), out=t.empty(2)),
    "log": lambda t: t.log(t.ones(2), out=t.empty(2)),
    "zeros": lambda t: t.zeros(2, 3, out=t.empty(0)),
    "ones-long": lambda t: t.ones(2, out=t.empty(2, dtype=t.long)),
    "arange": lambda t: t.arange(5, out=t.empty(5)),
    "arange-long": lambda t: t.arange(5, out=t.empty(5, dtype=t.long)),
    "randn-shape": lambda t: list(t.randn(2, 3, out=t.empty(0)).shape),
    "mm": lambda t: t.mm(t.ones(2, 2), t.eye(2), out=t.empty(2, 2)),
    "bmm": lambda t: t.bmm(t.ones(1, 2, 2), t.ones(1, 2, 2), out=t.empty(0)),
}


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_out_writes_into_the_given_tensor_as_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the resize warning
        t_result, g_result = _both(OUT_CASES[case])
    assert g_result == t_result


def test_out_returns_the_out_tensor_itself_and_warns_when_it_resizes_a_full_one():
    c = glassnet.empty(5)
    with pytest.warns(UserWarning, match="was resized since it had shape"):
        r = glassnet.matmul(glassnet.ones(2, 3), glassnet.ones(3, 2), out=c)
    assert r is c and c.shape == (2, 2)
    e = glassnet.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert glassnet.add(glassnet.ones(3), 1, out=e) is e


def test_out_is_refused_where_a_gradient_would_be_needed_with_torchs_message():
    for lib in (torch, glassnet):
        w = lib.ones(2, requires_grad=True)
        for call in (lambda: lib.add(w, 1, out=lib.empty(2)), lambda: lib.add(lib.ones(2), 1, out=w),
                     lambda: lib.matmul(w, w, out=lib.empty(()))):
            with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic differentiation"):
                call()
        with lib.no_grad():
            assert lib.add(w, 1, out=lib.empty(2)).tolist() == [2.0, 2.0]


# -- legacy types, Variable, .type ---------------------------------------------------------------
LEGACY_CASES = {
    "sizes": lambda t: list(t.FloatTensor(2, 3).shape),
    "zeros": lambda t: t.FloatTensor(2, 3).fill_(0),
    "list": lambda t: t.FloatTensor([1, 2]),
    "empty": lambda t: list(t.FloatTensor().shape),
    "size": lambda t: list(t.FloatTensor(t.Size([2, 1])).shape),
    "long": lambda t: t.LongTensor([1.0, 2.0]),
    "long-sizes": lambda t: list(t.LongTensor(3).shape),
    "double": lambda t: str(t.DoubleTensor([1]).dtype).split(".")[1],
    "int": lambda t: t.IntTensor([1.7, -2.2]),
    "bool": lambda t: t.BoolTensor([1, 0]),
    "scalar": lambda t: t.FloatTensor(2.5),
    "type": lambda t: t.ones(2).type().split(".")[1],
    "type-long": lambda t: t.ones(2, dtype=t.long).type().split(".")[1],
    "type-int": lambda t: t.ones(2, dtype=t.int32).type().split(".")[1],
    "type-bool": lambda t: t.ones(2, dtype=t.bool).type().split(".")[1],
    "type-double": lambda t: t.ones(2, dtype=t.float64).type().split(".")[1],
    "to-class": lambda t: str(t.ones(2).type(t.DoubleTensor).dtype).split(".")[1],
    "to-string": lambda t: str(t.ones(2).type("torch.LongTensor").dtype).split(".")[1],
    "to-dtype": lambda t: str(t.ones(2).type(t.int32).dtype).split(".")[1],
    "isinstance": lambda t: [isinstance(t.ones(2), t.FloatTensor), isinstance(t.ones(2), t.LongTensor)],
}


@pytest.mark.parametrize("case", sorted(LEGACY_CASES))
def test_legacy_tensor_types_as_torch(case):
    t_result, g_result = _both(LEGACY_CASES[case])
    assert g_result == t_result


def test_variable_returns_a_new_leaf_sharing_the_data():
    for lib in (torch, glassnet):
        from importlib import import_module
        Variable = import_module(f"{lib.__name__}.autograd").Variable
        t = lib.ones(2)
        v = Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and v.is_leaf and not t.requires_grad
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0]
        assert not Variable(t).requires_grad
    with pytest.raises(TypeError):
        glassnet.autograd.Variable([1.0])


# -- refused dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: glassnet.ones(2).half(), lambda: glassnet.zeros(2, dtype=glassnet.float16),
    lambda: glassnet.ones(2).to(glassnet.bfloat16), lambda: glassnet.ones(2).bfloat16(),
    lambda: gnn.Linear(2, 2).half(), lambda: glassnet.HalfTensor(2), lambda: glassnet.ByteTensor([1]),
    lambda: glassnet.ones(2).byte(), lambda: glassnet.tensor([1], dtype=glassnet.uint8),
    lambda: glassnet.ones(2).type("torch.HalfTensor"), lambda: glassnet.from_numpy(np.ones(2, np.float16)),
])
def test_a_dtype_glassnet_does_not_compute_in_raises_one_line_saying_what_to_do(call):
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and ("float32" in message or "int64" in message)


def test_the_refused_dtype_names_exist_and_compare():
    assert glassnet.half is glassnet.float16 and glassnet.short is glassnet.int16
    assert glassnet.ones(2).dtype != glassnet.float16 and repr(glassnet.bfloat16) == "glassnet.bfloat16"


# -- nonzero, index_fill, index_add, masked_scatter, _assert -------------------------------------
SELECT_CASES = {
    "nonzero": lambda t: t.nonzero(t.tensor([[1, 0], [0, 3], [2, 2]])),
    "nonzero-1d": lambda t: t.tensor([0, 2, 0, 1]).nonzero(),
    "nonzero-tuple": lambda t: [c.tolist() for c in t.nonzero(t.tensor([[1, 0], [0, 3]]), as_tuple=True)],
    "argwhere": lambda t: t.argwhere(t.tensor([[0.0, 1.0], [1.0, 0.0]])),
    "index_fill": lambda t: t.zeros(3, 4).index_fill(1, t.tensor([0, 2]), -1.0),
    "index_fill-neg": lambda t: t.zeros(3, 4).index_fill(-2, t.tensor([-1]), 2.0),
    "index_fill-0d-value": lambda t: t.zeros(2, 2).index_fill(0, t.tensor([1]), t.tensor(7.0)),
    "index_fill-float-index": lambda t: t.zeros(3).index_fill(0, t.tensor([0.0]), 1.0),
    "index_fill-bad-dim": lambda t: t.zeros(3).index_fill(1, t.tensor([0]), 1.0),
    "index_fill-out-of-range": lambda t: t.zeros(3).index_fill(0, t.tensor([3]), 1.0),
    "index_fill_": lambda t: t.zeros(2, 3).index_fill_(1, t.tensor([1]), 5.0),
    "index_add": lambda t: t.zeros(3, 2).index_add(0, t.tensor([0, 0, 2]), t.arange(6.).reshape(3, 2)),
    "index_add-alpha": lambda t: t.ones(2, 3).index_add(1, t.tensor([2, 0]), t.ones(2, 2), alpha=-2),
    "index_add-count": lambda t: t.zeros(3).index_add(0, t.tensor([0, 0]), t.ones(3)),
    "index_add_": lambda t: t.zeros(4).index_add_(0, t.tensor([1, 3, 1]), t.tensor([1.0, 2.0, 3.0])),
    "masked_scatter": lambda t: t.zeros(2, 3).masked_scatter(t.tensor([[True, False, True], [False, True, False]]),
                                                             t.arange(10.0)),
    "masked_scatter-broadcast": lambda t: t.zeros(2, 3).masked_scatter(t.tensor([True, False, True]), t.arange(4.0)),
    "masked_scatter-short": lambda t: t.zeros(3).masked_scatter(t.tensor([True, True, True]), t.ones(2)),
    "masked_scatter_": lambda t: t.zeros(3).masked_scatter_(t.tensor([False, True, True]), t.tensor([5.0, 6.0])),
    "_assert-true": lambda t: t._assert(t.tensor(True), "never") is None,
    "_assert-false": lambda t: t._assert(False, "broken"),
}


@pytest.mark.parametrize("case", sorted(SELECT_CASES))
def test_selection_and_filling_as_torch(case):
    t_result, g_result = _both(SELECT_CASES[case])
    assert g_result == t_result


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), data=st.data())
def test_index_add_and_masked_scatter_gradients_match_torch(rows, cols, data):
    index = data.draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=5))
    mask = data.draw(st.lists(st.booleans(), min_size=rows * cols, max_size=rows * cols))
    base = np.arange(rows * cols, dtype=np.float64).reshape(rows, cols) / 7
    src = np.linspace(-1, 1, len(index) * cols).reshape(len(index), cols)
    weights = np.cos(np.arange(rows * cols)).reshape(rows, cols)
    grads = []
    for lib in (torch, glassnet):
        a = lib.tensor(base, requires_grad=True)
        s = lib.tensor(src, requires_grad=True)
        out = a.index_add(0, lib.tensor(index), s, alpha=1.5)
        out = out.masked_scatter(lib.tensor(np.array(mask).reshape(rows, cols)), s.reshape(-1).repeat(rows * cols))
        (out * lib.tensor(weights)).sum().backward()
        grads.append((out.detach().numpy(), a.grad.numpy(), s.grad.numpy()))
    for t_arr, g_arr in zip(*grads):
        np.testing.assert_allclose(g_arr, t_arr, rtol=1e-9, atol=1e-12)


def test_index_fill_and_index_add_pass_gradcheck():
    x = glassnet.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=glassnet.float64, requires_grad=True)
    s = glassnet.tensor(np.linspace(0, 2, 8).reshape(2, 4), dtype=glassnet.float64, requires_grad=True)
    idx = glassnet.tensor([2, 0])
    assert glassnet.autograd.gradcheck(lambda a, b: a.index_add(0, idx, b, alpha=2).index_fill(1, idx, 0.5), (x, s))


# -- in-place ops on tensors of the graph --------------------------------------------------------
def _inplace_cases(t):
    w = lambda: t.tensor([0.5, -1.0, 2.0], requires_grad=True)  # noqa: E731

    def add_on_nonleaf():
        x = w(); h = x * 2; h.add_(1); h.sum().backward(); return x.grad

    def add_after_exp():  # exp saved its output for backward: the write breaks it
        x = w(); h = x.exp(); h.add_(1); h.sum().backward(); return x.grad

    def mul_by_grad_tensor():
        x = w(); y = w(); h = x + 0; h.mul_(y); h.sum().backward(); return [x.grad.tolist(), y.grad.tolist()]

    def mask_assign():
        x = w(); h = x * 3; h[h < 0] = 0; h.sum().backward(); return x.grad

    def index_sub():
        x = w(); h = x * 1; h[t.tensor([0, 2])] -= 1; (h * h).sum().backward(); return x.grad

    def relu_after_mul():
        x = w(); h = x * 2; h.relu_(); (h * x).sum().backward(); return x.grad

    def mul_after_sigmoid():
        x = w(); h = t.sigmoid(x); h.mul_(2); h.sum().backward(); return x.grad

    def add_after_saved_by_mul():
        x = w(); h = x + 1; z = h * h; h.add_(1); z.sum().backward(); return x.grad

    def setitem_after_tanh():
        x = w(); h = x.tanh(); h[0] = 0; h.sum().backward(); return x.grad

    def leaf():
        x = w(); x.add_(1); return x

    def leaf_no_grad():
        x = w()
        with t.no_grad():
            x.add_(1)
        return x.detach()

    def plain_tensor_joins_graph():
        x = w(); h = t.zeros(3); h.add_(x * 2); h.sum().backward(); return x.grad

    def fills_and_clamp():
        x = w(); h = x * 1
        h.index_fill_(0, t.tensor([1]), 5.0); h.masked_fill_(h > 1.5, 0.0); h.clamp_(-0.5, 0.8)
        (h * t.tensor([1.0, 2.0, 3.0])).sum().backward(); return x.grad

    def masked_scatter_source():
        x = w(); s = t.tensor([10.0, 20.0, 30.0], requires_grad=True); h = x * 1
        h.masked_scatter_(t.tensor([True, False, True]), s)
        (h * t.tensor([1.0, 2.0, 3.0])).sum().backward(); return [x.grad.tolist(), s.grad.tolist()]

    def index_add_source():
        x = w(); h = x * 1; h.index_add_(0, t.tensor([0, 0]), x[:2] * 2); h.sum().backward(); return x.grad

    def tanh_in_place():
        x = w(); h = x * 1; h.tanh_(); h.sum().backward(); return x.grad

    def zero_on_nonleaf():
        x = w(); h = x * 2; h.zero_(); (h + x).sum().backward(); return x.grad

    def scatter_into_nonleaf():
        x = w(); h = x * 1; h.scatter_(0, t.tensor([1]), t.tensor([9.0])); (h * h).sum().backward(); return x.grad

    def div_sub_fill_copy():
        x = w(); y = w(); h = x * 1; h.div_(y + 2); h.sub_(x, alpha=0.5); g = x * 1; g.fill_(3.0); k = x * 1
        k.copy_(y * 3); (h + g + k).sum().backward(); return [x.grad.tolist(), y.grad.tolist()]

    return {name: f for name, f in locals().items() if callable(f) and name != "w"}


@pytest.mark.parametrize("case", sorted(_inplace_cases(torch)))
def test_in_place_ops_on_graph_tensors_behave_as_torch(case):
    results = []
    for lib in (torch, glassnet):
        try:
            r = _inplace_cases(lib)[case]()
            results.append(np.round(np.asarray(r.tolist() if hasattr(r, "tolist") else r, dtype=float), 5).tolist())
        except RuntimeError as err:
            results.append(("RuntimeError", "in-place" in str(err) or "inplace" in str(err)))
    assert results[1] == results[0]


# -- trunc_normal_ -------------------------------------------------------------------------------
@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 0.02, -0.04, 0.04),
                                             (1.0, 1.0, 1.5, 4.0)])
def test_trunc_normal_has_torchs_distribution(mean, std, a, b):
    from scipy import stats
    n = 100_000
    g = gnn.init.trunc_normal_(glassnet.empty(n), mean=mean, std=std, a=a, b=b, generator=glassnet.Generator().manual_seed(0))
    t = torch.nn.init.trunc_normal_(torch.empty(n), mean=mean, std=std, a=a, b=b, generator=torch.Generator().manual_seed(0))
    gv, tv = g.numpy().astype(np.float64), t.numpy().astype(np.float64)
    assert g.dtype == glassnet.float32 and gv.min() >= a and gv.max() <= b
    exact = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    for values in (gv, tv):  # both within sampling error of the exact truncated normal
        assert abs(values.mean() - exact.mean()) < 5 * exact.std() / np.sqrt(n)
        assert abs(values.std() / exact.std() - 1) < 0.02
    assert stats.ks_2samp(gv, tv).pvalue > 1e-4


def test_trunc_normal_warns_as_torch_when_the_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        gnn.init.trunc_normal_(glassnet.empty(10), mean=10.0, std=1.0)


# -- stubs: amp, onnx, distributed, nn.parallel --------------------------------------------------
def test_grad_scaler_and_autocast_disabled_without_cuda_are_no_ops():
    import glassnet.cuda.amp
    model = gnn.Linear(2, 1)
    opt = glassnet.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = glassnet.cuda.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    before = model.weight.detach().clone()
    with glassnet.autocast("cpu", enabled=False), glassnet.amp.autocast("cuda", enabled=False):
        loss = model(glassnet.ones(3, 2)).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.step(opt)
    scaler.update()
    assert not glassnet.equal(model.weight, before)
    with pytest.warns(UserWarning, match="Disabling autocast"):
        glassnet.cuda.amp.autocast()


def test_grad_scaler_on_the_cpu_follows_torchs_rule():
    states = []
    for lib in (torch, glassnet):
        w = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
        record = []
        for step, bad in enumerate([False, False, True, False]):
            opt.zero_grad()
            loss = (w * w).sum() * (float("inf") if bad else 1.0)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            record.append((scaler.get_scale(), np.round(w.detach().numpy(), 6).tolist()))
        states.append(record)
    assert states[1] == states[0]


def test_imports_at_the_top_of_scripts_work_and_what_cannot_run_says_what_to_do():
    import glassnet.distributed as dist
    import glassnet.nn.parallel
    import glassnet.onnx
    assert dist.is_available() is False and dist.is_initialized() is False
    with pytest.raises(RuntimeError, match="glassnet train --engine torch --nproc"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(NotImplementedError, match=r"glassnet\.bridge\.to_torch\(model\) and torch\.onnx\.export"):
        glassnet.onnx.export(gnn.Linear(2, 2), glassnet.ones(1, 2), "m.onnx")
    with pytest.raises(ValueError, match="Default process group"):
        glassnet.nn.parallel.DistributedDataParallel(gnn.Linear(2, 2))
    wrapped = gnn.DataParallel(gnn.Linear(2, 2))
    reference = torch.nn.DataParallel(torch.nn.Linear(2, 2))
    assert list(wrapped.state_dict()) == list(reference.state_dict())
    assert wrapped(glassnet.ones(1, 2)).shape == (1, 2)
    from glassnet.bridge import from_torch, to_torch
    crossed = to_torch(wrapped)
    assert isinstance(crossed, torch.nn.DataParallel) and isinstance(from_torch(crossed), gnn.DataParallel)
    np.testing.assert_array_equal(crossed.module.weight.detach().numpy(), wrapped.module.weight.detach().numpy())


# -- load -----------------------------------------------------------------------------------------
def test_load_takes_torchs_keywords_on_glassnet_files(tmp_path):
    path = tmp_path / "w.pt"
    glassnet.save({"w": glassnet.ones(2)}, path)
    for kwargs in ({"weights_only": True}, {"map_location": "cpu"}, {"mmap": True},
                   {"map_location": lambda storage, loc: storage}, {"map_location": {"cuda:0": "cpu"}}):
        assert glassnet.load(path, **kwargs)["w"].tolist() == [1.0, 1.0]


def test_a_safetensors_file_whose_header_length_starts_like_a_pickle_still_loads(tmp_path):
    path = tmp_path / "w.safetensors"
    for n in range(1, 400):  # header lengths with every low byte, 0x80 among them
        glassnet.save({"w" * n: glassnet.ones(1)}, path)
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    assert glassnet.load(path)["w" * n].tolist() == [1.0]


@pytest.mark.parametrize("zipped", [True, False])
def test_load_of_a_torch_pickle_says_in_one_line_how_to_convert_it(tmp_path, zipped):
    path = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=zipped)
    for source in (path, io.BytesIO(path.read_bytes())):
        with pytest.raises(ValueError, match=r"torch\.save.*glassnet\.bridge\.from_torch") as info:
            glassnet.load(source)
        assert "\n" not in str(info.value)
