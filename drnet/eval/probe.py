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


@torch.no_grad()
def encode_frames(drnet, store: VideoStore, items: np.ndarray, device, batch: int = 256
                  ) -> tuple[np.ndarray, np.ndarray]:
    """items int [N, 2] of (sequence, t) -> (content [N, Dc], pose [N, P]) as float32 numpy arrays."""
    contents, poses = [], []
    for s in range(0, len(items), batch):
        frames = np.stack([store.frame(int(q), int(t)) for q, t in items[s:s + batch]])
        x = torch.from_numpy(frames).to(device).movedim(-1, 1).float().div_(255.0)
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
    return np.stack(frames).reshape(len(items), -1).astype(np.float32) / 255.0


def chance(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent training label."""
    values, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == values[np.argmax(counts)]))


PROBE_ROWS = (("digit identity", "content_identity_acc", "pose_identity_acc", "identity_chance"),
              ("digit position", "content_position_acc", "pose_position_acc", "position_chance"))
PROBE_FORMATS = {"from content": "percent", "from pose": "percent", "from content (MLP)": "percent",
                 "from pose (MLP)": "percent", "from raw pixels": "percent", "chance": "percent",
                 "train frames": "count", "test frames": "count"}


def probe_table(result: dict):
    """The MNIST probe JSON (stages/mnist_probe.py) as a table: one row per target, accuracies from content and
    from pose, chance, frame counts; with its column formats (drnet.eval.tables)."""
    import pandas as pd

    nan = float("nan")
    rows = [{"target": name, "from content": result[c], "from pose": result[p],
             "from content (MLP)": result.get(c.replace("_acc", "_mlp"), nan),
             "from pose (MLP)": result.get(p.replace("_acc", "_mlp"), nan),
             "from raw pixels": result.get(c.replace("content_", "pixels_"), nan), "chance": result[ch],
             "train frames": result["n_train"], "test frames": result["n_test"]} for name, c, p, ch in PROBE_ROWS]
    return pd.DataFrame(rows), PROBE_FORMATS
