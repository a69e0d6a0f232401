"""torch.utils.data's samplers and DataLoader(sampler=, batch_sampler=), against torch: lengths,
what is drawn (a set, a range, a count; the order comes from each engine's own stream), the
batches a deterministic sampler gives, laziness, and torch's errors."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
from glassnet.utils import data as gdata

torch = pytest.importorskip("torch")
from torch.utils import data as tdata  # noqa: E402


class Words(gdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return glassnet.tensor([i, 10 * i]), glassnet.tensor(float(i))


class TWords(tdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor([i, 10 * i]), torch.tensor(float(i))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), num_samples=st.one_of(st.none(), st.integers(1, 45)), replacement=st.booleans())
def test_random_sampler_length_and_draws_are_torchs(n, num_samples, replacement):
    g = gdata.RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                            generator=glassnet.Generator().manual_seed(0))
    t = tdata.RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                            generator=torch.Generator().manual_seed(0))
    gi, ti = list(g), list(t)
    assert len(g) == len(t) == len(gi) == len(ti)
    assert all(type(i) is int and 0 <= i < n for i in gi)
    if not replacement:  # whole permutations first, then part of one: the same counts as torch's
        assert sorted(np.bincount(gi, minlength=n)) == sorted(np.bincount(ti, minlength=n))


def test_an_endless_random_sampler_draws_lazily():
    # makemore: RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    s = gdata.RandomSampler(range(5), replacement=True, num_samples=int(1e10))
    assert len(s) == len(tdata.RandomSampler(range(5), replacement=True, num_samples=int(1e10)))
    first = list(itertools.islice(iter(s), 100))
    assert len(first) == 100 and set(first) <= set(range(5))


def test_the_same_generator_seed_gives_the_same_order():
    a = list(gdata.RandomSampler(range(9), generator=glassnet.Generator().manual_seed(3)))
    b = list(gdata.RandomSampler(range(9), generator=glassnet.Generator().manual_seed(3)))
    assert a == b and sorted(a) == list(range(9))


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (4, True), (7, False)])
def test_batch_sampler_over_a_sequential_sampler_is_torchs(batch_size, drop_last):
    g = gdata.BatchSampler(gdata.SequentialSampler(range(10)), batch_size, drop_last)
    t = tdata.BatchSampler(tdata.SequentialSampler(range(10)), batch_size, drop_last)
    assert list(g) == list(t) and len(g) == len(t)


def test_subset_and_weighted_samplers_draw_what_torchs_do():
    g = list(gdata.SubsetRandomSampler([4, 7, 9]))
    assert sorted(g) == sorted(tdata.SubsetRandomSampler([4, 7, 9])) == [4, 7, 9]
    w = [0.0, 1.0, 0.0, 3.0]
    gw = gdata.WeightedRandomSampler(w, 50)
    tw = tdata.WeightedRandomSampler(w, 50)
    assert len(gw) == len(tw) == 50 and set(gw) <= {1, 3} and set(tw) <= {1, 3}
    assert sorted(gdata.WeightedRandomSampler(w, 2, replacement=False)) == \
        sorted(tdata.WeightedRandomSampler(w, 2, replacement=False)) == [1, 3]
    assert sorted(gdata.WeightedRandomSampler(glassnet.tensor(w), 2, replacement=False)) == [1, 3]


@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=4, drop_last=True)])
def test_dataloader_with_a_sampler_gives_torchs_batches(kwargs):
    order = [5, 0, 3, 3, 1, 6, 2]   # any iterable of indices is a sampler
    g = [[b.tolist() for b in batch] for batch in gdata.DataLoader(Words(7), sampler=order, **kwargs)]
    t = [[b.tolist() for b in batch] for batch in tdata.DataLoader(TWords(7), sampler=order, **kwargs)]
    assert g == t
    assert len(gdata.DataLoader(Words(7), sampler=order, **kwargs)) == \
        len(tdata.DataLoader(TWords(7), sampler=order, **kwargs))


def test_dataloader_with_a_batch_sampler_and_a_tensor_dataset_gives_torchs_batches():
    X = np.arange(12.0, dtype=np.float32).reshape(6, 2)
    batches = [[4, 1], [0, 5, 2], [3]]
    g = gdata.DataLoader(gdata.TensorDataset(glassnet.tensor(X)), batch_sampler=batches)
    t = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X)), batch_sampler=batches)
    assert [[b.tolist() for b in batch] for batch in g] == [[b.tolist() for b in batch] for batch in t]
    assert len(g) == len(t) == 3


def test_dataloader_with_an_endless_random_sampler_yields_batches():
    loader = gdata.DataLoader(Words(4), batch_size=3, sampler=gdata.RandomSampler(
        Words(4), replacement=True, num_samples=int(1e10)), pin_memory=True, num_workers=4)
    x, y = next(iter(loader))
    assert x.shape == (3, 2) and y.shape == (3,) and x.dtype == glassnet.int64


def test_sampler_errors_are_torchs():
    for lib, ds in ((gdata, Words(3)), (tdata, TWords(3))):
        with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
            lib.DataLoader(ds, sampler=[0, 1], shuffle=True)
        with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
            lib.DataLoader(ds, batch_sampler=[[0]], batch_size=2)
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            lib.RandomSampler(range(3), num_samples=0)
        with pytest.raises(TypeError, match="replacement should be a boolean value"):
            lib.RandomSampler(range(3), replacement=1)
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            lib.BatchSampler(range(3), 0, False)
        with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist"):
            list(lib.WeightedRandomSampler([1.0, 0.0], 3, replacement=False))
        assert sorted(lib.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)) == [0, 1]


def test_torch_module_paths_of_the_samplers():
    from glassnet.utils.data.sampler import RandomSampler
    from glassnet.utils.data import RandomSampler as Same
    assert RandomSampler is Same is glassnet.data.RandomSampler
