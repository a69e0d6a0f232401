"""augmentation-target-mismatch on kept batches built here (no script run): masks flipped or
rotated apart from their images are named; aligned, symmetric, unrelated and non-spatial
targets are not."""
import numpy as np
import pytest

from glassnet.doctor.checks_loop import augmentation_agreement, check_augmentation_target_mismatch
from glassnet.doctor.observed import Observed, Thresholds


def _scenes(n, h=24, w=24, seed=0, dark=False):
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, h, w), np.int64)
    for m in masks:
        top, left = rng.integers(0, h - 8), rng.integers(0, w // 2 - 2)
        m[top:top + rng.integers(4, 8), left:left + rng.integers(3, 7)] = 1
    images = masks[:, None].astype(np.float32) * (-0.8 if dark else 0.8) + 0.1
    images += 0.1 * rng.standard_normal(images.shape).astype(np.float32)
    return images, masks


def _moves(masks, seed=1, square=True):
    rng = np.random.default_rng(seed)
    out = masks.copy()
    for i in range(len(out)):
        if rng.random() < 0.5:
            out[i] = out[i][:, ::-1]
        if square:
            out[i] = np.rot90(out[i], rng.integers(4))
        elif rng.random() < 0.5:
            out[i] = out[i][::-1]
    return out


def _run(images, targets, batch=16):
    return Observed(steps=[], batches={s: {"input": images[i:i + batch], "target": targets[i:i + batch]}
                                       for s, i in enumerate(range(0, len(images), batch))})


def _ids(run):
    return [f.id for f in check_augmentation_target_mismatch(run, Thresholds())]


@pytest.mark.parametrize("dark", [False, True])
def test_masks_moved_apart_from_their_images_are_named(dark):
    images, masks = _scenes(64, dark=dark)
    findings = check_augmentation_target_mismatch(_run(images, _moves(masks)), Thresholds())
    assert [f.id for f in findings] == ["augmentation-target-mismatch"]
    f = findings[0]
    assert f.severity == "error" and f.evidence["measured"] > 0.5 and f.where["step"] == 0


def test_float_masks_and_non_square_images():
    images, masks = _scenes(64, h=16, w=32)
    moved = _moves(masks, square=False)[:, None].astype(np.float32)      # (N, 1, H, W) floats
    assert _ids(_run(images, moved)) == ["augmentation-target-mismatch"]
    assert _ids(_run(images, masks[:, None].astype(np.float32))) == []


def test_aligned_symmetric_unrelated_and_non_spatial_targets_pass():
    images, masks = _scenes(64)
    assert _ids(_run(images, masks)) == []
    samples = augmentation_agreement(_run(images, masks))
    assert len(samples) == 64 and min(s[1] for s in samples) > 0.9
    disk = (np.hypot(*np.mgrid[-12:12, -12:12] + 0.5) < 6).astype(np.int64)
    disks = np.repeat(disk[None], 32, 0)                                  # flips change nothing
    assert _ids(_run(disks[:, None] + 0.1 * np.random.default_rng(0).random((32, 1, 24, 24)),
                     _moves(disks))) == []
    noise = np.random.default_rng(2).integers(0, 2, masks.shape)           # unrelated targets
    assert _ids(_run(images, noise)) == []
    assert _ids(_run(images.reshape(64, -1), masks[:, 0, 0])) == []        # a classifier
    assert _ids(_run(images[:8], _moves(masks[:8]))) == []                 # too few samples
