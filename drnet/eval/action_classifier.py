"""The KTH action classifier that scores generations (the "Inception" network, paper Fig. 9): fit and test.

It is trained on single real train-split frames by default (``kth.classifier.clip_len = 1``): generated frames
are scored one by one at each time offset, so the classifier must judge a single frame. Its accuracy on clips of
the held-out persons says how far its Inception scores can be trusted.
"""

from __future__ import annotations

import numpy as np
import torch

from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.classifiers import evaluate_accuracy, fit_classifier, frames_to_input
from drnet.models.classifiers import ActionClassifier
from drnet.params import KTH_ACTIONS
from drnet.params import ActionClassifier as ClassifierParams
from drnet.runtime.context import Context


def sample_clips(store: VideoStore, n: int, clip_len: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random clips of clip_len frames with action labels: (uint8 [n, clip_len, H, W, C], int64 [n])."""
    rng = np.random.default_rng(seed)
    actions = store.meta("action")
    seqs = rng.choice(np.flatnonzero(store.length >= clip_len), size=n)
    t0 = (rng.random(n) * (store.length[seqs] - clip_len + 1)).astype(np.int64)
    clips = np.stack([store.frames(int(q), int(t), clip_len) for q, t in zip(seqs, t0)])
    labels = np.array([KTH_ACTIONS.index(a) for a in actions[seqs]], dtype=np.int64)
    return clips, labels


def fit_action_classifier(train: VideoStore, cfg: ClassifierParams, seed: int,
                          ctx: Context) -> tuple[ActionClassifier, list[dict], int]:
    """Fit on min(steps * batch_size, max_train_clips) clips of ``train`` (one pass of fresh frames per step budget),
    ``max_epochs`` epochs of steps // max_epochs batches, early stopping; returns (model, history, clips used)."""
    if len(set(train.meta("action"))) < len(KTH_ACTIONS):
        raise DrnetError(f"{train.path} does not hold all six KTH actions; rebuild it with every action")
    x, y = sample_clips(train, min(cfg.steps * cfg.batch_size, cfg.max_train_clips), cfg.clip_len, seed)
    h, _, c = train.frame_shape
    torch.manual_seed(seed)
    model = ActionClassifier(c, len(KTH_ACTIONS), cfg.width, cfg.clip_len, h)
    model, history = fit_classifier(model, x, y, batch_size=cfg.batch_size, lr=cfg.lr, seed=seed,
                                    max_epochs=cfg.max_epochs, steps_per_epoch=max(1, cfg.steps // cfg.max_epochs),
                                    patience=cfg.patience, transform=frames_to_input, device=ctx.device, ctx=ctx)
    return model, history, len(x)


def action_accuracy(model: ActionClassifier, test: VideoStore, cfg: ClassifierParams, seed: int,
                  ctx: Context) -> tuple[float, int]:
    """Accuracy on min(10 per test video, max_test_clips) clips of ``test``; returns (accuracy, clips used)."""
    x, y = sample_clips(test, min(cfg.max_test_clips, 10 * len(test)), cfg.clip_len, seed + 1)
    return evaluate_accuracy(model, x, y, transform=frames_to_input, device=ctx.device), len(x)


def model_file(train: VideoStore, cfg: ClassifierParams) -> dict:
    """The classifier's model-file description (``extra``, kind ``classifier``): what ``load_model`` rebuilds."""
    h, _, c = train.frame_shape
    return {"kind": "classifier", "channels": c, "width": cfg.width, "clip_len": cfg.clip_len, "image_size": h,
            "classes": list(KTH_ACTIONS)}
