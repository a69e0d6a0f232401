"""The random API: torch's names and signatures, glassnet's own (seeded, reproducible) stream."""
import numpy as np
import pytest

import glassnet


def test_same_generator_seed_gives_the_same_numbers_and_another_seed_does_not():
    def draw(seed):
        g = glassnet.Generator().manual_seed(seed)
        return np.concatenate([glassnet.normal(0.0, 1.0, (3,), generator=g).numpy(),
                               glassnet.rand(2, generator=g).numpy(),
                               glassnet.randperm(5, generator=g).numpy().astype(float),
                               glassnet.multinomial(glassnet.ones(4), 2, generator=g).numpy().astype(float)])
    assert np.array_equal(draw(1), draw(1)) and not np.array_equal(draw(1), draw(2))


def test_manual_seed_drives_the_default_stream():
    glassnet.manual_seed(5)
    a = [glassnet.randn(3), glassnet.rand_like(glassnet.ones(2)), glassnet.randint(0, 9, (4,))]
    glassnet.manual_seed(5)
    b = [glassnet.randn(3), glassnet.rand_like(glassnet.ones(2)), glassnet.randint(0, 9, (4,))]
    assert all(glassnet.equal(x, y) for x, y in zip(a, b))


def test_normal_forms_shapes_and_statistics():
    g = glassnet.Generator().manual_seed(0)
    x = glassnet.normal(2.0, 3.0, size=(20000,), generator=g)
    assert abs(x.mean().item() - 2.0) < 0.1 and abs(x.std().item() - 3.0) < 0.1
    assert glassnet.normal(glassnet.zeros(2, 3), 1.0).shape == (2, 3)
    assert glassnet.normal(0.0, glassnet.ones(4)).shape == (4,)
    m = glassnet.normal(glassnet.arange(3.0), glassnet.zeros(3))
    assert m.tolist() == [0.0, 1.0, 2.0] and m.dtype == glassnet.float32
    with pytest.raises(RuntimeError, match="std >= 0"):
        glassnet.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="give the size"):
        glassnet.normal(0.0, 1.0)


def test_like_functions_keep_shape_and_float_dtype():
    x = glassnet.zeros(2, 3, dtype=glassnet.float64)
    assert glassnet.rand_like(x).dtype == glassnet.float64 and glassnet.randn_like(x).shape == (2, 3)
    r = glassnet.randint_like(x, 3, 7)
    assert r.dtype == glassnet.float64 and r.min().item() >= 3 and r.max().item() <= 6
    assert glassnet.randn_like(glassnet.zeros(2, dtype=glassnet.int64)).dtype == glassnet.float32


def test_multinomial_follows_the_weights():
    g = glassnet.Generator().manual_seed(0)
    draws = glassnet.multinomial(glassnet.tensor([1.0, 3.0]), 4000, replacement=True, generator=g)
    assert abs(draws.float().mean().item() - 0.75) < 0.03 and draws.dtype == glassnet.int64
    rows = glassnet.multinomial(glassnet.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), 1)
    assert rows.tolist() == [[1], [2]]
    no_repeat = glassnet.multinomial(glassnet.ones(6), 6, generator=g)
    assert sorted(no_repeat.tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="without replacement"):
        glassnet.multinomial(glassnet.ones(2), 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        glassnet.multinomial(glassnet.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        glassnet.multinomial(glassnet.zeros(3), 1)


def test_randperm_and_randint_spellings():
    assert sorted(glassnet.randperm(7).tolist()) == list(range(7))
    assert glassnet.randint(10, (2, 3)).shape == (2, 3)
    assert glassnet.randint(low=2, high=3, size=(4,)).tolist() == [2, 2, 2, 2]
    assert glassnet.bernoulli(glassnet.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]


def test_the_module_documents_its_own_stream():
    import glassnet.random
    import glassnet.tensors.sampling
    for doc in (glassnet.random.__doc__, glassnet.tensors.sampling.__doc__):
        assert "not" in doc and "torch" in doc
