"""glassnet.viz draws headless figures from arrays and callables and writes PNG and SVG."""
import base64

import numpy as np
import pytest

from glassnet import viz


def _dose_curve(x):
    return np.maximum(0, np.maximum(0, 1.7 * x - 0.85) * -40.8 + np.maximum(0, 12.6 * x) * 2.7 - 16)


def test_curve_draws_one_line_per_entry_and_the_training_points(tmp_path):
    x = np.linspace(0, 1, 11)
    fig = viz.curve(x, {"before": _dose_curve(x) + 16, "after": _dose_curve(x)},
                    points=([0, 0.5, 1], [0, 1, 0]))
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.lines[0].get_color() == "green"
    assert ax.get_xlabel() == "Dose" and ax.get_ylabel() == "Effectiveness"
    paths = viz.save(fig, tmp_path / "curve")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()


def test_curve_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        viz.curve([0, 1, 2], [1, 2])


def test_history_has_loss_and_accuracy_panels():
    fig = viz.history(np.linspace(1, 0.1, 50), np.linspace(0.5, 1, 50),
                      test_accuracy=np.linspace(0.5, 0.8, 50))
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    assert len(fig.axes[1].lines) == 2


def test_decision_boundary_uses_the_seed_contour_style():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(float)
    fig = viz.decision_boundary(lambda g: 1 / (1 + np.exp(-4 * g[:, 0])), X, y,
                                X_test=X[:5], y_test=y[:5])
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "P(Class 1)"
    filled = [c for c in ax.collections if hasattr(c, "levels")][0]
    np.testing.assert_allclose(filled.levels, np.linspace(0, 1, 11))
    assert filled.get_cmap().name == "RdBu_r" and filled.get_alpha() == 0.6
    assert viz.to_data_uri(fig).startswith("data:image/png;base64,")


def test_probability_grid_checks_what_predict_returns():
    with pytest.raises(ValueError, match="one probability per grid point"):
        viz.probability_grid(lambda g: np.zeros(3), np.zeros((4, 2)), resolution=10)


def test_network_diagram_puts_weights_on_edges_and_biases_on_nodes():
    fig = viz.network_diagram([[[1.7], [12.6]], [[-40.8, 2.7]]], [[-0.85, 0.0], [-16.0]])
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"1.7", "12.6", "-40.8", "2.7", "b=-0.85", "b=0", "b=-16"} <= texts
    svg = viz.to_svg(fig)
    assert svg.lstrip().startswith("<?xml")


def test_network_diagram_drops_values_on_large_networks_and_checks_shapes():
    rng = np.random.default_rng(1)
    fig = viz.network_diagram([rng.normal(size=(16, 2)), rng.normal(size=(8, 16)),
                               rng.normal(size=(1, 8))])
    assert fig.axes[0].texts == [] or len(fig.axes[0].texts) < 10
    with pytest.raises(ValueError, match="out_features, in_features"):
        viz.network_diagram([np.zeros((3, 2)), np.zeros((1, 4))])


def test_png_is_decodable_from_the_data_uri():
    fig = viz.curve([0, 1], [0, 1])
    raw = base64.b64decode(viz.to_data_uri(fig).split(",", 1)[1])
    assert raw[:4] == b"\x89PNG"
