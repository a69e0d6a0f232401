"""The built-in data sets: the seed lessons' data exactly, scikit-learn's sets with documented types."""
import numpy as np
import pytest

import glassnet
import glassnet.data.datasets as gd
from glassnet.data import datasets as home


# Seed 003's generator, copied verbatim; `torch` is glassnet, as the project promises.
def _seed_003_create_spiral_data():
    torch = glassnet  # noqa: F841 - used by the verbatim code below

    def create_spiral_data(n_points=100, noise=0.2):
        """Create a two-class spiral dataset."""
        np.random.seed(42)

        # Class 0: one arm of spiral
        theta0 = np.linspace(0, 4*np.pi, n_points)
        r0 = np.linspace(0.5, 2, n_points)
        x0 = r0 * np.cos(theta0) + np.random.randn(n_points) * noise
        y0 = r0 * np.sin(theta0) + np.random.randn(n_points) * noise

        # Class 1: other arm (rotated by pi)
        theta1 = np.linspace(0, 4*np.pi, n_points)
        r1 = np.linspace(0.5, 2, n_points)
        x1 = r1 * np.cos(theta1 + np.pi) + np.random.randn(n_points) * noise
        y1 = r1 * np.sin(theta1 + np.pi) + np.random.randn(n_points) * noise

        # Combine into dataset
        X = np.column_stack([
            np.concatenate([x0, x1]),
            np.concatenate([y0, y1])
        ])
        y = np.concatenate([np.zeros(n_points), np.ones(n_points)])

        # Shuffle
        idx = np.random.permutation(len(y))
        X, y = X[idx], y[idx]

        return torch.FloatTensor(X), torch.FloatTensor(y).unsqueeze(1)

    return create_spiral_data


@pytest.fixture
def seed_spiral():
    state = np.random.get_state()  # the seed code reseeds NumPy's global generator; put it back
    yield _seed_003_create_spiral_data()
    np.random.set_state(state)


def test_spiral_reproduces_seed_003_point_for_point(seed_spiral):
    X_seed, y_seed = seed_spiral(n_points=200)
    X, y = gd.spiral(n_points=200)
    assert X.shape == (400, 2) and y.shape == (400, 1)
    assert X.dtype == X_seed.dtype == glassnet.float32 and y.dtype == glassnet.float32
    np.testing.assert_array_equal(X.numpy(), X_seed.numpy())
    np.testing.assert_array_equal(y.numpy(), y_seed.numpy())


def test_spiral_defaults_are_the_seeds_call_and_other_sizes_match_too(seed_spiral):
    X, _ = gd.spiral()
    np.testing.assert_array_equal(X.numpy(), seed_spiral(n_points=200)[0].numpy())
    X50, y50 = gd.spiral(n_points=50, noise=0.3)
    X50_seed, y50_seed = seed_spiral(n_points=50, noise=0.3)
    np.testing.assert_array_equal(X50.numpy(), X50_seed.numpy())
    np.testing.assert_array_equal(y50.numpy(), y50_seed.numpy())


def test_spiral_leaves_numpy_global_random_state_alone():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    gd.spiral()
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_spiral_seed_changes_the_noise_and_classes_are_balanced():
    X1, y1 = gd.spiral(seed=1)
    X2, _ = gd.spiral(seed=2)
    assert not np.array_equal(X1.numpy(), X2.numpy())
    assert y1.sum().item() == 200


def test_dose_is_the_seed_001_data():
    X, y = gd.dose()
    assert X.tolist() == [0.0, 0.5, 1.0] and y.tolist() == [0.0, 1.0, 0.0]
    assert X.dtype == y.dtype == glassnet.float32


def test_xor_is_the_four_points_with_column_targets():
    X, y = gd.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.shape == (4, 1) and y.dtype == glassnet.float32
    assert y.tolist() == [[0.0], [1.0], [1.0], [0.0]]


def test_xor_cloud_labels_points_by_the_sign_bits_and_is_seeded():
    X, y = gd.xor(n_samples=300, seed=0)
    assert X.shape == (300, 2) and y.shape == (300, 1) and y.dtype == glassnet.float32
    x = X.numpy()
    np.testing.assert_array_equal(y.numpy().ravel(), ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.float32))
    assert 100 < y.sum().item() < 200
    noisy, _ = gd.xor(n_samples=300, noise=0.1, seed=0)
    assert not np.array_equal(noisy.numpy(), x)
    assert np.array_equal(gd.xor(n_samples=300, noise=0.1, seed=0)[0].numpy(), noisy.numpy())


@pytest.mark.parametrize("make", [gd.circle, gd.gaussian, gd.moons])
def test_sklearn_toy_sets_are_binary_float_columns_and_seeded(make):
    X, y = make(n_samples=100, noise=0.05, seed=3)
    assert X.shape == (100, 2) and X.dtype == glassnet.float32
    assert y.shape == (100, 1) and y.dtype == glassnet.float32
    assert sorted(set(y.numpy().ravel().tolist())) == [0.0, 1.0] and y.sum().item() == 50
    assert np.array_equal(X.numpy(), make(n_samples=100, noise=0.05, seed=3)[0].numpy())
    assert not np.array_equal(X.numpy(), make(n_samples=100, noise=0.05, seed=4)[0].numpy())


def test_circle_matches_sklearn_make_circles():
    from sklearn.datasets import make_circles
    X, y = gd.circle(n_samples=60, noise=0.1, seed=0)
    X_ref, y_ref = make_circles(n_samples=60, noise=0.1, random_state=0, factor=0.5)
    np.testing.assert_array_equal(X.numpy(), X_ref.astype(np.float32))
    np.testing.assert_array_equal(y.numpy().ravel(), y_ref)


def test_gaussian_blobs_sit_at_their_documented_centres():
    X, y = gd.gaussian(n_samples=400, noise=0.5, seed=0)
    mask = y.numpy().ravel() == 1
    np.testing.assert_allclose(X.numpy()[mask].mean(axis=0), [2, 2], atol=0.15)
    np.testing.assert_allclose(X.numpy()[~mask].mean(axis=0), [-2, -2], atol=0.15)


@pytest.mark.parametrize("make, n, f, n_classes", [
    (gd.digits, 1797, 64, 10), (gd.iris, 150, 4, 3), (gd.wine, 178, 13, 3)])
def test_multiclass_real_sets_have_int64_labels(make, n, f, n_classes):
    X, y = make()
    assert X.shape == (n, f) and X.dtype == glassnet.float32
    assert y.shape == (n,) and y.dtype == glassnet.int64
    assert sorted(set(y.tolist())) == list(range(n_classes))


def test_class_counts_of_iris_and_wine():
    assert np.bincount(gd.iris()[1].numpy()).tolist() == [50, 50, 50]
    assert np.bincount(gd.wine()[1].numpy()).tolist() == [59, 71, 48]


def test_breast_cancer_is_binary_with_column_targets():
    X, y = gd.breast_cancer()
    assert X.shape == (569, 30) and X.dtype == glassnet.float32
    assert y.shape == (569, 1) and y.dtype == glassnet.float32
    assert y.sum().item() == 357  # benign, scikit-learn's label 1


def test_real_sets_are_raw_unless_standardized():
    X_raw, _ = gd.wine()
    assert X_raw.numpy().max() > 1000  # proline, unscaled
    X, _ = gd.wine(standardize=True)
    np.testing.assert_allclose(X.numpy().mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X.numpy().std(axis=0), 1, atol=1e-4)


def test_standardize_reuses_training_statistics_and_leaves_constant_columns_finite():
    X = glassnet.tensor([[1.0, 5.0], [3.0, 5.0]])
    Xs, mean, std = gd.standardize(X)
    assert Xs.tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    assert mean.tolist() == [2.0, 5.0] and std.tolist() == [1.0, 1.0]
    Xt, _, _ = gd.standardize(glassnet.tensor([[4.0, 6.0]]), mean, std)
    assert Xt.tolist() == [[2.0, 1.0]]
    with pytest.raises(ValueError, match="2-D"):
        gd.standardize(glassnet.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="both mean and std"):
        gd.standardize(X, mean=mean)


def test_digits_standardized_has_no_nan_despite_constant_pixels():
    X, _ = gd.digits(standardize=True)
    assert np.isfinite(X.numpy()).all()


def test_registry_lists_and_loads_every_builtin_set():
    assert gd.names() == ["dose", "xor", "spiral", "circle", "gaussian", "moons", "digits", "iris",
                          "breast_cancer", "wine", "plane", "multigauss", "bump"]
    for name in gd.names():
        X, y = gd.load(name)
        assert X.shape[0] == y.shape[0] and X.dtype == glassnet.float32
        assert gd.describe(name) and "``" not in gd.describe(name)
    np.testing.assert_array_equal(gd.load("spiral", noise=0.1)[0].numpy(), gd.spiral(noise=0.1)[0].numpy())


def test_registry_names_the_choices_for_an_unknown_set():
    with pytest.raises(ValueError, match=r"unknown data set 'spirals'.*'spiral'.*load_csv"):
        gd.load("spirals")


def test_bad_sizes_and_noise_are_rejected_naming_the_argument():
    with pytest.raises(ValueError, match="n_points"):
        gd.spiral(n_points=0)
    with pytest.raises(ValueError, match="noise"):
        gd.moons(noise=-1)
    with pytest.raises(ValueError, match="n_samples"):
        gd.circle(n_samples=2.5)


def test_glassnet_datasets_attribute_is_this_module():
    assert glassnet.datasets.spiral is gd.spiral
    assert glassnet.data.datasets.load is gd.load


# -- NumPy until the batch: load_arrays -------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in home.names() if n != "dose"])
def test_load_arrays_are_the_data_sets_values_never_made_tensors(name):
    X, y = home.load(name)
    Xa, ya = home.load_arrays(name)
    assert type(Xa) is np.ndarray and type(ya) is np.ndarray
    for tensor, array in ((X, Xa), (y, ya)):
        assert array.dtype == tensor.numpy().dtype and array.shape == tuple(tensor.shape)
        np.testing.assert_array_equal(array, tensor.numpy())
    Xs, _ = home.load_arrays("iris", standardize=True)
    np.testing.assert_array_equal(Xs, home.iris(standardize=True)[0].numpy())


def test_load_arrays_of_dose_says_it_comes_as_tensors():
    with pytest.raises(ValueError, match="'dose' comes as tensors only"):
        home.load_arrays("dose")


# -- the TensorFlow Playground's regression sets ------------------------------------------------

@pytest.mark.parametrize("name", ["plane", "multigauss", "bump"])
def test_regression_sets_are_points_on_the_square_with_values_in_minus_one_one(name):
    X, y = home.load(name)
    assert X.shape == (200, 2) and y.shape == (200, 1)
    assert X.dtype == glassnet.float32 and y.dtype == glassnet.float32
    x, t = X.numpy(), y.numpy()
    assert (np.abs(x) <= 6).all() and t.min() >= -1 and t.max() <= 1 and t.min() < -0.3 < 0.3 < t.max()
    again, other = home.load(name, seed=42), home.load(name, seed=1)
    np.testing.assert_array_equal(again[1].numpy(), t)
    assert not np.array_equal(other[0].numpy(), x)
    noisy = home.load(name, noise=0.5)
    np.testing.assert_array_equal(noisy[0].numpy(), x)      # noise moves where labels are read
    assert not np.array_equal(noisy[1].numpy(), t)


def test_the_regression_sets_formulas():
    x, t = home.load_arrays("plane", n_samples=50)
    np.testing.assert_allclose(t[:, 0], np.clip(x.sum(axis=1) / 10, -1, 1), atol=1e-6)
    x, t = home.load_arrays("bump", n_samples=50)
    np.testing.assert_allclose(t[:, 0], 2 * np.exp(-(x.astype(np.float64) ** 2).sum(axis=1) / 8) - 1,
                               atol=1e-6)
    x, t = home.load_arrays("multigauss", n_samples=2000)
    for (cx, cy, sign) in home.MULTI_GAUSS:             # +1 or -1 near each centre, by its sign
        near = t[np.hypot(x[:, 0] - cx, x[:, 1] - cy) < 0.4, 0]
        assert len(near) and (near * sign > 0.75).all()


def test_regression_sets_check_their_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        home.plane(n_samples=0)
    with pytest.raises(ValueError, match="noise"):
        home.bump(noise=-0.1)
