"""Figure 9: generated and real KTH continuations scored at growing offsets (Inception score and motion).

From the first ``n_past`` frames of held-out test clips, each model generates ``max_offset`` frames; at every
``every``-th offset a window of ``every`` frames of each clip is scored by the action classifier (the
Inception network, ``drnet.eval.inception``), beside the real continuation of the same clips. A clip counts at
an offset only when its real continuation covers the window, so every curve is scored on the same clips there.
``motion`` is the mean absolute frame-to-frame change in the window: a frozen generation reads ~0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from drnet.data.store import VideoStore
from drnet.eval.classifiers import frames_to_input, predict_proba
from drnet.eval.generate import CLIPS_PER_PASS, generate
from drnet.eval.inception import inception_over_time, motion
from drnet.frames import to_float, to_uint8

log = logging.getLogger(__name__)
COLUMNS = ["model", "offset", "inception_score", "std", "n_samples", "motion", "n_clips", "synthetic"]


def pick_clips(lengths: np.ndarray, n_past: int, max_offset: int, n_clips: int, seed: int) -> np.ndarray:
    """Test clips to generate from, sorted: those long enough for ground truth at every offset
    (length >= n_past + max_offset) first; shorter ones only when too few are that long."""
    rng = np.random.default_rng(seed)
    full = np.flatnonzero(lengths >= n_past + max_offset)
    if len(full) >= min(n_clips, 2):
        return np.sort(rng.choice(full, size=min(n_clips, len(full)), replace=False))
    eligible = np.flatnonzero(lengths >= n_past)
    longest = eligible[np.argsort(-lengths[eligible], kind="stable")]
    return np.sort(longest[:n_clips])


def real_continuations(store: VideoStore, seqs: np.ndarray, n_past: int, length: int) -> np.ndarray:
    """uint8 [B, 1 + length, H, W, C]: each clip's last observed frame, then its real continuation, zero-padded
    where the clip ends sooner (those windows are never scored)."""
    out = np.zeros((len(seqs), 1 + length, *store.frame_shape), np.uint8)
    for i, q in enumerate(seqs):
        n = min(1 + length, int(store.length[q]) - n_past + 1)
        out[i, :n] = store.frames(int(q), n_past - 1, n)
    return out


@dataclass
class Continuations:
    """The held-out clips of one Fig. 9 run: what every model observes, and where each offset can be scored."""

    observed_u8: np.ndarray          # uint8 [B, n_past, H, W, C]
    real: np.ndarray                 # uint8 [B, 1 + max_offset, H, W, C], from the last observed frame
    offsets: list[int]               # offsets with at least one clip long enough for ground truth
    windows: dict[int, np.ndarray]   # offset -> the clips scored there
    max_offset: int
    every: int
    n_splits: int

    @classmethod
    def from_store(cls, test: VideoStore, n_past: int, cfg, seed: int) -> Continuations:
        """``cfg``: params ``kth.inception`` (max_offset, every, n_clips, n_splits)."""
        seqs = pick_clips(test.length, n_past, cfg.max_offset, cfg.n_clips, seed)
        observed_u8 = np.stack([test.frames(int(q), 0, n_past) for q in seqs])
        offsets = list(range(0, cfg.max_offset, cfg.every))
        # clip i has ground truth for the window at offset o when it is that long: every model is scored on
        # exactly those clips at that offset, so the three curves compare the same continuations
        remaining = test.length[seqs] - n_past
        windows = {o: np.flatnonzero(remaining >= o + cfg.every) for o in offsets}
        dropped = [o for o in offsets if len(windows[o]) == 0]
        if dropped:
            log.warning("offsets %s have no test clip long enough for ground truth; left out of Fig. 9", dropped)
        offsets = [o for o in offsets if len(windows[o])]
        real = real_continuations(test, seqs, n_past, cfg.max_offset)
        return cls(observed_u8, real, offsets, windows, cfg.max_offset, cfg.every, cfg.n_splits)

    def generate(self, drnet, lstm) -> np.ndarray:
        """The model's continuation of every clip, uint8 [B, max_offset, H, W, C], generated on the models'
        device (on a GPU ``CLIPS_PER_PASS`` clips at a time)."""
        return to_uint8(generate(drnet, lstm, to_float(self.observed_u8), self.max_offset,
                                 clips_per_pass=CLIPS_PER_PASS))

    def after_observed(self, generated: np.ndarray) -> np.ndarray:
        """A generation uint8 [B, T, H, W, C] with each clip's last observed frame put first (as ``real``)."""
        return np.concatenate([self.observed_u8[:, -1:], generated], axis=1)

    def score(self, name: str, clips: np.ndarray, classifier: torch.nn.Module, device=None) -> list[dict]:
        """clips uint8 [B, 1 + max_offset, H, W, C] (last observed frame first) -> one row per offset: IS (mean,
        std over parts), frames scored, motion, clips. ``device``: where the frames are scored (default: the
        classifier's)."""
        out = []
        for o in self.offsets:
            idx = self.windows[o]
            window = clips[idx, 1 + o:1 + o + self.every]
            probs = predict_proba(classifier, window.reshape(-1, *window.shape[2:]), transform=frames_to_input,
                                  device=device)
            (r,) = inception_over_time({o: probs}, self.n_splits)
            out.append({"model": name, **r, "motion": motion(clips[idx, o:1 + o + self.every]),
                        "n_clips": len(idx)})
        return out


def inception_table(rows: list[dict], synthetic: bool) -> pd.DataFrame:
    """The Fig. 9 table: ``Continuations.score``'s rows in ``COLUMNS`` order, marked with the data's origin."""
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table["synthetic"] = synthetic
    return table
