"""Inception score, classifiers with early stopping, and pixel-space nearest neighbours."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from drnet.eval.classifiers import evaluate_accuracy, fit_classifier, frames_to_input, predict_proba
from drnet.eval.inception import inception_over_time, inception_score
from drnet.eval.neighbours import nearest_neighbours
from drnet.models.classifiers import ActionClassifier, MLPClassifier
from drnet.report.neighbours import neighbour_grid

# ---------------------------------------------------------------- Inception score


@pytest.mark.parametrize("k", [2, 6, 10])
def test_inception_score_of_confident_balanced_samples_is_the_class_count(k):
    probs = np.tile(np.eye(k), (4, 1))  # every sample one-hot, every class equally often
    assert inception_score(probs, n_splits=1) == pytest.approx((k, 0.0))
    assert inception_score(probs, n_splits=4) == pytest.approx((k, 0.0))  # each split is one eye(k)


def test_inception_score_of_identical_rows_is_one():
    probs = np.tile([[0.7, 0.2, 0.1]], (12, 1))
    assert inception_score(probs, n_splits=3) == pytest.approx((1.0, 0.0))


def test_inception_score_two_by_two_by_hand():
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])  # marginal p(y) = (0.55, 0.45)
    kl_1 = 0.9 * math.log(0.9 / 0.55) + 0.1 * math.log(0.1 / 0.45)
    kl_2 = 0.2 * math.log(0.2 / 0.55) + 0.8 * math.log(0.8 / 0.45)
    mean, std = inception_score(probs, n_splits=1)
    assert mean == pytest.approx(math.exp((kl_1 + kl_2) / 2)) and mean == pytest.approx(1.3170523)
    assert std == 0.0


def test_inception_score_marginal_is_per_split():
    confident = np.eye(2)  # IS 2
    uniform = np.full((2, 2), 0.5)  # IS 1
    mean, std = inception_score(np.concatenate([confident, uniform]), n_splits=2)
    assert (mean, std) == pytest.approx((1.5, 0.5))


@pytest.mark.parametrize("probs, n_splits, match", [
    (np.full(4, 0.25), 1, r"\[N, K\]"),
    (np.ones((3, 1)), 1, r"\[N, K\]"),
    (np.array([[0.5, 0.6], [0.5, 0.5]]), 1, "sum to 1"),
    (np.array([[1.5, -0.5]]), 1, "non-negative"),
    (np.array([[np.nan, 1.0]]), 1, "finite"),
    (np.eye(3), 4, "n_splits"),
])
def test_inception_score_rejects_bad_input(probs, n_splits, match):
    with pytest.raises(ValueError, match=match):
        inception_score(probs, n_splits)


def test_inception_over_time_rows():
    rows = inception_over_time({20: np.full((3, 2), 0.5), 0: np.tile(np.eye(2), (5, 1))}, n_splits=5)
    assert [r["offset"] for r in rows] == [0, 20]
    assert rows[0] == pytest.approx({"offset": 0, "inception_score": 2.0, "std": 0.0, "n_samples": 10})
    assert rows[1]["inception_score"] == pytest.approx(1.0) and rows[1]["n_samples"] == 3  # 3 parts, not 5


# ---------------------------------------------------------------- classifiers


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[4.0, 0, 0, 0], [0, 4.0, 0, 0], [0, 0, 4.0, 0]])
    return (centres[y] + rng.normal(size=(n, 4))).astype(np.float32), y


def _fit_mlp(seed: int = 0):
    x, y = _blobs(300, seed=1)
    torch.manual_seed(seed)
    model = MLPClassifier(4, 3, hidden=16, dropout=0.2)
    rng_before = torch.get_rng_state()
    fitted = fit_classifier(model, x, y, batch_size=32, max_epochs=15, patience=3, lr=1e-2, seed=seed)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the global RNG is left alone
    return fitted


def test_mlp_learns_a_separable_problem_deterministically():
    model, history = _fit_mlp()
    x_test, y_test = _blobs(200, seed=2)
    assert evaluate_accuracy(model, x_test, y_test) > 0.9
    assert history[-1]["epoch"] == len(history) and {"train_loss", "val_loss", "val_accuracy"} <= set(history[0])
    again, history_again = _fit_mlp()
    assert history == history_again
    for (name, a), b in zip(model.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name


def test_mlp_layout_matches_appendix_d():
    model = MLPClassifier(24 * 24, 6, hidden=1200, dropout=0.5)
    kinds = [type(m).__name__ for m in model.net]
    assert kinds == ["Linear", "BatchNorm1d", "LeakyReLU", "Dropout", "Linear"]
    assert model(torch.randn(5, 24, 24)).shape == (5, 6)  # [B, seq_len, pose_dim] is flattened


def test_early_stopping_restores_the_best_epoch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 6)).astype(np.float32), rng.integers(0, 2, 120)  # labels carry no signal
    x_val, y_val = rng.normal(size=(60, 6)).astype(np.float32), rng.integers(0, 2, 60)
    torch.manual_seed(0)
    model, history = fit_classifier(MLPClassifier(6, 2, hidden=64, dropout=0.0), x, y, x_val=x_val, y_val=y_val,
                                    batch_size=16, max_epochs=60, patience=3, lr=1e-2, seed=0)
    assert len(history) < 60  # it overfits noise, so the validation loss stops improving
    probs = predict_proba(model, x_val)
    val_loss = float(F.nll_loss(torch.from_numpy(np.log(probs)), torch.from_numpy(y_val)))
    assert val_loss == pytest.approx(min(h["val_loss"] for h in history), rel=1e-5)


def test_fit_classifier_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        fit_classifier(MLPClassifier(4, 2, 8), np.zeros((10, 4), np.float32), np.zeros(9, int))


@pytest.mark.parametrize("size, channels, clip_len", [(64, 1, 1), (64, 3, 2), (128, 1, 3)])
def test_action_classifier_shapes(size, channels, clip_len):
    model = ActionClassifier(channels, 6, width=4, clip_len=clip_len, image_size=size)
    clips = torch.rand(2, clip_len, channels, size, size)
    assert model(clips).shape == (2, 6)
    assert model(clips.flatten(1, 2)).shape == (2, 6)
    with pytest.raises(ValueError, match="input channels"):
        model(torch.rand(2, channels * clip_len + 1, size, size))


def test_action_classifier_trains_on_uint8_frames_and_feeds_the_inception_score():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    frames = rng.integers(0, 60, (64, 32, 32, 1), dtype=np.uint8)
    for i, (label, (r, c)) in enumerate(zip(y, rng.integers(2, 20, (64, 2)))):  # a bar, anywhere: | (0) or - (1)
        h, w = (10, 3) if label == 0 else (3, 10)
        frames[i, r:r + h, c:c + w] = 255
    assert frames_to_input(frames).shape == (64, 1, 32, 32)
    assert frames_to_input(np.stack([frames, frames], axis=1)).shape == (64, 2, 32, 32)
    torch.manual_seed(0)
    model, history = fit_classifier(ActionClassifier(1, 2, width=8, image_size=32), frames, y, batch_size=16,
                                    max_epochs=12, patience=12, lr=1e-2, seed=0, transform=frames_to_input)
    probs = predict_proba(model, frames, transform=frames_to_input)
    assert probs.shape == (64, 2) and np.allclose(probs.sum(axis=1), 1)
    assert 1.0 <= inception_score(probs, n_splits=2)[0] <= 2.0
    assert evaluate_accuracy(model, frames, y, transform=frames_to_input) > 0.9


# ---------------------------------------------------------------- nearest neighbours


def test_nearest_neighbours_find_exact_duplicates_across_chunks():
    rng = np.random.default_rng(0)
    bank = rng.integers(0, 256, (50, 8, 8, 3), dtype=np.uint8)
    queries = bank[[7, 23, 49]]
    idx = nearest_neighbours(queries, bank, k=4, chunk=16)
    assert idx.shape == (3, 4) and list(idx[:, 0]) == [7, 23, 49]
    dist = ((queries[:, None].astype(float) - bank[None].astype(float)) ** 2).sum(axis=(2, 3, 4))
    np.testing.assert_array_equal(idx, np.argsort(dist, axis=1, kind="stable")[:, :4])
    np.testing.assert_array_equal(idx, nearest_neighbours(queries, bank, k=4, chunk=1000))
    generated = bank[[23]].astype(np.float32) / 255.0  # float frames in [0, 1] against a uint8 bank
    assert nearest_neighbours(generated, bank, k=1)[0, 0] == 23


def test_nearest_neighbours_reject_bad_input():
    bank = np.zeros((5, 8, 8, 1), np.uint8)
    with pytest.raises(ValueError, match="differ in shape"):
        nearest_neighbours(np.zeros((1, 8, 8, 3), np.uint8), bank, 1)
    with pytest.raises(ValueError, match="k must be"):
        nearest_neighbours(bank[:1], bank, 6)
    with pytest.raises(ValueError, match=r"\[N, H, W, C\]"):
        nearest_neighbours(np.zeros((8, 8, 1), np.uint8), bank, 1)


def test_neighbour_grid_layout():
    rng = np.random.default_rng(0)
    bank = rng.integers(0, 256, (20, 6, 5, 1), dtype=np.uint8)
    queries = bank[[3, 4]].astype(np.float32) / 255.0
    idx = nearest_neighbours(queries, bank, k=3)
    grid = neighbour_grid(queries, bank, idx, pad=1)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 7 + 1, 4 * 6 + 1, 3)
    np.testing.assert_array_equal(grid[1:7, 1:6, 0], bank[3, :, :, 0])  # the query, then its neighbours
    np.testing.assert_array_equal(grid[8:14, 7:12, 1], bank[4, :, :, 0])  # its nearest is itself
