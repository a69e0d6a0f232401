"""Dataset, TensorDataset, DataLoader, random_split and Subset: torch.utils.data's behaviour; and
the loader's order of the samples without a dataset (``epoch_orders``, ``batches``)."""
import numpy as np
import pytest

import glassnet
from glassnet.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from glassnet.data.loader import batches, epoch_orders


def _data(n=10):
    X = glassnet.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = glassnet.tensor(np.arange(n, dtype=np.int64))
    return X, y


def _labels_in_order(loader):
    return [int(i) for _, yb in loader for i in yb.tolist()]


class Pairs(Dataset):
    """A plain map-style dataset (not a TensorDataset): the per-sample collate path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return glassnet.tensor([float(i), float(2 * i)]), i


# -- TensorDataset ---------------------------------------------------------------------------------

def test_tensor_dataset_returns_rows_of_each_tensor():
    X, y = _data()
    ds = TensorDataset(X, y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    assert x3.tolist() == [6.0, 7.0] and y3.item() == 3


def test_tensor_dataset_rejects_unequal_first_dimensions_naming_the_sizes():
    X, y = _data()
    with pytest.raises(ValueError, match=r"same size in the first dimension.*argument 0: 10, argument 1: 9"):
        TensorDataset(X, y[:9])


def test_tensor_dataset_rejects_non_tensors_and_nothing():
    with pytest.raises(TypeError, match="glassnet.tensor"):
        TensorDataset(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_base_dataset_says_what_to_define():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


# -- DataLoader ------------------------------------------------------------------------------------

def test_unshuffled_loader_keeps_dataset_order_and_stacks_batches():
    X, y = _data()
    batches = list(DataLoader(TensorDataset(X, y), batch_size=4))
    assert [tuple(xb.shape) for xb, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    assert isinstance(batches[0], list)  # torch's default_collate gives a list
    assert batches[0][0].dtype == glassnet.float32 and batches[0][1].dtype == glassnet.int64
    assert _labels_in_order(batches) == list(range(10))
    assert batches[1][0].tolist() == X.tolist()[4:8]


@pytest.mark.parametrize("n, batch_size, drop_last, expected", [
    (10, 4, False, 3), (10, 4, True, 2), (8, 4, False, 2), (8, 4, True, 2), (3, 5, False, 1),
    (3, 5, True, 0), (400, 64, False, 7), (1797, 64, True, 28)])
def test_len_is_the_number_of_batches_yielded(n, batch_size, drop_last, expected):
    loader = DataLoader(TensorDataset(*_data(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == expected
    assert sum(1 for _ in loader) == expected


def test_drop_last_drops_only_the_short_final_batch():
    loader = DataLoader(TensorDataset(*_data(10)), batch_size=4, drop_last=True, shuffle=True,
                        generator=glassnet.Generator().manual_seed(1))
    sizes = [xb.shape[0] for xb, _ in loader]
    assert sizes == [4, 4]
    assert len(set(_labels_in_order(loader))) == 8


def test_shuffle_order_is_fixed_by_the_generator_seed_and_differs_between_seeds():
    ds = TensorDataset(*_data(50))

    def order(seed):
        return _labels_in_order(DataLoader(ds, batch_size=8, shuffle=True,
                                           generator=glassnet.Generator().manual_seed(seed)))

    assert order(0) == order(0)
    assert order(0) != order(1)
    assert sorted(order(0)) == list(range(50))
    assert order(0) != list(range(50))


def test_each_epoch_draws_a_new_order_and_a_reseeded_run_repeats_them():
    ds = TensorDataset(*_data(30))
    loader = DataLoader(ds, batch_size=7, shuffle=True, generator=glassnet.Generator().manual_seed(3))
    epochs = [_labels_in_order(loader) for _ in range(2)]
    assert epochs[0] != epochs[1]
    again = DataLoader(ds, batch_size=7, shuffle=True, generator=glassnet.Generator().manual_seed(3))
    assert [_labels_in_order(again) for _ in range(2)] == epochs


def test_shuffle_without_generator_follows_glassnet_manual_seed():
    ds = TensorDataset(*_data(40))
    glassnet.manual_seed(7)
    first = _labels_in_order(DataLoader(ds, batch_size=5, shuffle=True))
    glassnet.manual_seed(7)
    second = _labels_in_order(DataLoader(ds, batch_size=5, shuffle=True))
    glassnet.manual_seed(8)
    third = _labels_in_order(DataLoader(ds, batch_size=5, shuffle=True))
    assert first == second != third


def test_fast_path_gives_the_same_batches_as_stacking_samples_one_by_one():
    X, y = _data(23)
    ds = TensorDataset(X, y)
    kw = dict(batch_size=6, shuffle=True)
    fast = list(DataLoader(ds, generator=glassnet.Generator().manual_seed(5), **kw))
    slow = list(DataLoader(ds, generator=glassnet.Generator().manual_seed(5),
                           collate_fn=lambda samples: default_collate(samples), **kw))
    assert len(fast) == len(slow) == 4
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype
        assert xf.tolist() == xs.tolist() and yf.tolist() == ys.tolist()


def test_batches_are_copies_not_views_of_the_dataset():
    X, y = _data(4)
    xb, _ = next(iter(DataLoader(TensorDataset(X, y), batch_size=4)))
    with glassnet.no_grad():
        xb.mul_(0)
    assert X.tolist()[1] == [2.0, 3.0]


def test_loader_over_subset_of_tensor_dataset_yields_the_subset_rows():
    X, y = _data(10)
    sub = Subset(Subset(TensorDataset(X, y), [9, 7, 5, 3, 1]), [4, 0, 2])
    assert _labels_in_order(DataLoader(sub, batch_size=2)) == [1, 9, 5]


def test_generic_dataset_collates_tensors_and_python_ints():
    xb, ib = next(iter(DataLoader(Pairs(5), batch_size=3)))
    assert xb.shape == (3, 2) and xb.dtype == glassnet.float32
    assert ib.dtype == glassnet.int64 and ib.tolist() == [0, 1, 2]


def test_default_collate_numbers_dicts_lists_and_strings():
    assert default_collate([1.5, 2.5]).dtype == glassnet.float64  # as torch's default_collate
    assert default_collate([True, False]).dtype == glassnet.bool
    out = default_collate([{"x": glassnet.tensor([1.0]), "name": "a"},
                           {"x": glassnet.tensor([2.0]), "name": "b"}])
    assert out["x"].tolist() == [[1.0], [2.0]] and out["name"] == ["a", "b"]
    assert isinstance(default_collate([[1, 2], [3, 4]]), list)
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([glassnet.zeros(2), glassnet.zeros(3)])


def test_collate_keeps_gradient_history_of_samples_that_require_grad():
    w = glassnet.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_loader_rejects_bad_arguments_naming_them():
    ds = TensorDataset(*_data())
    with pytest.raises(ValueError, match="batch_size=0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=2.5)
    with pytest.raises(TypeError, match="glassnet.Generator"):
        DataLoader(ds, shuffle=True, generator=42)


def test_torch_style_import_path_works():
    from glassnet.utils.data import DataLoader as UtilsLoader
    from glassnet.utils.data import TensorDataset as UtilsDataset
    assert UtilsLoader is DataLoader and UtilsDataset is TensorDataset
    assert glassnet.utils.data.random_split is random_split


# -- random_split ----------------------------------------------------------------------------------

def test_random_split_integer_lengths_are_disjoint_and_cover_the_dataset():
    ds = TensorDataset(*_data(10))
    parts = random_split(ds, [7, 3], generator=glassnet.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [7, 3]
    assert all(isinstance(p, Subset) for p in parts)
    a, b = (set(p.indices) for p in parts)
    assert not a & b and a | b == set(range(10))
    assert parts[1][0][1].item() == parts[1].indices[0]


@pytest.mark.parametrize("n, fractions, expected", [
    (10, [0.8, 0.2], [8, 2]), (11, [0.5, 0.5], [6, 5]), (10, [1 / 3] * 3, [4, 3, 3]),
    (400, [0.7, 0.15, 0.15], [280, 60, 60]), (7, [0.25, 0.25, 0.5], [2, 2, 3])])
def test_random_split_fractions_follow_torchs_rounding(n, fractions, expected):
    parts = random_split(TensorDataset(*_data(n)), fractions, generator=glassnet.Generator().manual_seed(0))
    assert [len(p) for p in parts] == expected
    assert sorted(i for p in parts for i in p.indices) == list(range(n))


def test_random_split_fraction_rounding_matches_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle for these tests")
    for n, fractions in [(11, [0.5, 0.5]), (10, [1 / 3] * 3), (7, [0.25, 0.25, 0.5]), (5, [0.1, 0.9])]:
        ours = [len(p) for p in random_split(list(range(n)), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(list(range(n)), fractions)]
        assert ours == theirs


def test_random_split_is_deterministic_for_a_seed():
    ds = TensorDataset(*_data(20))

    def split(seed):
        return [p.indices for p in random_split(ds, [15, 5], generator=glassnet.Generator().manual_seed(seed))]

    assert split(4) == split(4)
    assert split(4) != split(5)


def test_random_split_rejects_lengths_that_do_not_add_up():
    ds = TensorDataset(*_data(10))
    with pytest.raises(ValueError, match="sum to 9 but the dataset has 10"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [12, -2])


def test_epoch_orders_are_the_data_loaders_shuffled_order():
    X = glassnet.arange(23.0).reshape(23, 1)
    loader = glassnet.data.DataLoader(glassnet.data.TensorDataset(X), batch_size=5, shuffle=True,
                                      generator=glassnet.Generator().manual_seed(4))
    orders = epoch_orders(23, 4)
    for _ in range(3):
        expected = [b.numpy().ravel().astype(int).tolist() for (b,) in loader]
        assert [list(map(int, idx)) for idx in batches(next(orders), 5)] == expected


def test_batches_cut_an_order_into_consecutive_slices_the_last_short():
    assert [b.tolist() for b in batches(np.array([4, 0, 3, 1, 2]), 2)] == [[4, 0], [3, 1], [2]]
    assert batches(np.arange(0), 3) == []


# -- IterableDataset: a stream batched in the order it yields, as torch -------------------------

def _stream_pair():
    import torch

    def make(base, tensor_of):
        class Stream(base):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter((tensor_of([float(i), 2.0 * i]), i % 3) for i in range(self.n))
        return Stream
    return make(torch.utils.data.IterableDataset, torch.tensor), \
        make(glassnet.utils.data.IterableDataset, glassnet.tensor)


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (7, False), (10, True)])
def test_iterable_dataset_batches_as_torch(batch_size, drop_last):
    import torch
    TorchStream, GlassStream = _stream_pair()
    theirs = list(torch.utils.data.DataLoader(TorchStream(7), batch_size=batch_size, drop_last=drop_last))
    ours = list(glassnet.utils.data.DataLoader(GlassStream(7), batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs)
    for (tx, ty), (gx, gy) in zip(theirs, ours):
        np.testing.assert_array_equal(gx.numpy(), tx.numpy())
        np.testing.assert_array_equal(gy.numpy(), ty.numpy())
        assert str(gy.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1]


def test_iterable_dataset_refuses_shuffle_and_samplers_and_has_no_len_as_torch():
    import torch
    TorchStream, GlassStream = _stream_pair()
    for options in ({"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0, 1]]}):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(TorchStream(4), **options)
        with pytest.raises(ValueError) as ours:
            glassnet.utils.data.DataLoader(GlassStream(4), **options)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError):
        len(torch.utils.data.DataLoader(TorchStream(4), batch_size=2))
    with pytest.raises(TypeError):
        len(glassnet.utils.data.DataLoader(GlassStream(4), batch_size=2))
    import glassnet.utils.data.dataset as torch_path
    assert torch_path.IterableDataset is glassnet.utils.data.IterableDataset


def test_iterable_dataset_with_a_length_gives_the_loader_a_length():
    class Sized(glassnet.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 5
    loader = glassnet.utils.data.DataLoader(Sized(), batch_size=2)
    assert len(loader) == 3 and [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
