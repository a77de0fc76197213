"""Linear probes: how much of a factor (identity, position, clip) can be read off content or pose vectors.

Beyond the paper: a number for disentanglement. Content vectors should predict object identity far above
chance and pose vectors should not; pose should predict position, content should not.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from drnet.data.store import VideoStore
from drnet.frames import store_frames, unit_array
from drnet.runtime.context import module_device


@torch.no_grad()
def encode_frames(drnet, store: VideoStore, items: np.ndarray, device, batch: int = 256
                  ) -> tuple[np.ndarray, np.ndarray]:
    """items int [N, 2] of (sequence, t) -> (content [N, Dc], pose [N, P]) as float32 numpy arrays, encoded
    ``batch`` frames at a time on ``device`` (the model's)."""
    contents, poses = [], []
    for s in range(0, len(items), batch):
        x = store_frames(store, items[s:s + batch], device)
        contents.append(drnet.encode_content(x)[0].float().cpu().numpy())
        poses.append(drnet.encode_pose(x).float().cpu().numpy())
    return np.concatenate(contents), np.concatenate(poses)


def sample_items(store: VideoStore, n_clips: int, seed: int) -> np.ndarray:
    """One random frame from each of up to ``n_clips`` clips (sorted clip order), int64 [N, 2] (seq, t)."""
    rng = np.random.default_rng(seed)
    seqs = np.sort(rng.choice(len(store), size=min(n_clips, len(store)), replace=False))
    t = (rng.random(len(seqs)) * store.length[seqs]).astype(np.int64)
    return np.stack([seqs, t], axis=1)


def linear_probe(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 max_iter: int = 2000, seed: int = 0) -> float:
    """Test accuracy of a standardised multinomial logistic regression trained on (x_train, y_train)."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter, random_state=seed))
    clf.fit(x_train, y_train)
    return float(clf.score(x_test, y_test))


def mlp_probe(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
              max_iter: int = 500, seed: int = 0, hidden: int = 64) -> float:
    """Test accuracy of a small nonlinear probe (one hidden layer of ``hidden`` ReLUs, early stopping): reads
    what a linear probe would miss, so a low linear number is not taken for absence."""
    from sklearn.neural_network import MLPClassifier

    clf = make_pipeline(StandardScaler(), MLPClassifier((hidden,), max_iter=max_iter, early_stopping=True,
                                                        random_state=seed))
    clf.fit(x_train, y_train)
    return float(clf.score(x_test, y_test))


def pixels(store: VideoStore, items: np.ndarray, size: int = 16) -> np.ndarray:
    """The raw-pixel baseline's features: frames (seq, t) downsampled to ``size`` px, flattened, float32."""
    import cv2

    frames = [cv2.resize(store.frame(int(q), int(t)), (size, size), interpolation=cv2.INTER_AREA) for q, t in items]
    return unit_array(np.stack(frames).reshape(len(items), -1))


def chance(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent training label."""
    values, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == values[np.argmax(counts)]))


def _mnist_targets(store: VideoStore, items: np.ndarray, size: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity of the first digit (red channel) and its position cell on a bins x bins grid (``size``: the
    frame size)."""
    identity = store.meta("digit_0")[items[:, 0]]
    limit = size - store.int_attr("digit_size") + 1
    pos = np.stack([store.frame_meta("position", int(q))[int(t), 0] for q, t in items])  # [N, 2] (y, x)
    cells = np.minimum(pos * bins // limit, bins - 1)
    return identity, cells[:, 0] * bins + cells[:, 1]


def mnist_probes(drnet, train: VideoStore, test: VideoStore, cfg, seed: int) -> dict:
    """Digit identity and position read off content, pose and raw pixels (the baseline) by linear and MLP probes
    trained on ``cfg.n_train`` training frames and tested on one frame of every test clip; with chance levels,
    frame counts and the data's provenance (``cfg``: params ``mnist.probe``). Frames are encoded on the model's
    device; the probes (scikit-learn) run on the CPU."""
    tr_items = sample_items(train, cfg.n_train, seed)
    te_items = sample_items(test, len(test), seed + 1)
    device = module_device(drnet)
    tr_c, tr_p = encode_frames(drnet, train, tr_items, device)
    te_c, te_p = encode_frames(drnet, test, te_items, device)
    tr_px, te_px = pixels(train, tr_items), pixels(test, te_items)  # the raw-pixel baseline
    size = train.frame_shape[0]
    tr_id, tr_pos = _mnist_targets(train, tr_items, size, cfg.position_bins)
    te_id, te_pos = _mnist_targets(test, te_items, size, cfg.position_bins)
    return {
        "content_identity_acc": linear_probe(tr_c, tr_id, te_c, te_id, cfg.max_iter),
        "pose_identity_acc": linear_probe(tr_p, tr_id, te_p, te_id, cfg.max_iter),
        "pose_position_acc": linear_probe(tr_p, tr_pos, te_p, te_pos, cfg.max_iter),
        "content_position_acc": linear_probe(tr_c, tr_pos, te_c, te_pos, cfg.max_iter),
        "content_identity_mlp": mlp_probe(tr_c, tr_id, te_c, te_id, cfg.max_iter),
        "pose_identity_mlp": mlp_probe(tr_p, tr_id, te_p, te_id, cfg.max_iter),
        "pose_position_mlp": mlp_probe(tr_p, tr_pos, te_p, te_pos, cfg.max_iter),
        "content_position_mlp": mlp_probe(tr_c, tr_pos, te_c, te_pos, cfg.max_iter),
        "pixels_identity_acc": linear_probe(tr_px, tr_id, te_px, te_id, cfg.max_iter),
        "pixels_position_acc": linear_probe(tr_px, tr_pos, te_px, te_pos, cfg.max_iter),
        "identity_chance": chance(tr_id, te_id),
        "position_chance": chance(tr_pos, te_pos),
        "n_train": len(tr_items), "n_test": len(te_items),
        "target": "identity = label of digit 0 (red); position = its cell on a "
                  f"{cfg.position_bins}x{cfg.position_bins} grid",
        "data_source": test.attrs.get("source"), "synthetic": test.synthetic,
    }
