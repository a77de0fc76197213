"""The Inception score (Salimans et al. 2016), as used for KTH generations (paper, Fig. 9).

IS = exp(E_x KL(p(y|x) || p(y))), with p(y|x) the class probabilities of a classifier trained on real frames
(for KTH: the action classifier, drnet.eval.classifiers) and p(y) their mean over the samples. As in the
reference implementation, the samples are cut into ``n_splits`` parts, p(y) and the score are computed per part,
and the mean and standard deviation over parts are reported. The score lies in [1, K] for K classes: 1 when all
samples get the same distribution, K when each is confidently one class and the classes are used equally.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from drnet.frames import PIXEL_MAX

EPS = 1e-12


def _check_probs(probs: np.ndarray, atol: float) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(f"probs must be [N, K] with N >= 1 samples and K >= 2 classes, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or p.min() < 0:
        raise ValueError("probs must be finite and non-negative (pass softmax outputs, not logits)")
    worst = np.abs(p.sum(axis=1) - 1).max()
    if worst > atol:
        raise ValueError(f"each row of probs must sum to 1 (largest deviation {worst:.3g}); pass softmax outputs")
    return p


def inception_score(probs: np.ndarray, n_splits: int = 10, atol: float = 1e-4) -> tuple[float, float]:
    """probs float [N, K] (rows sum to 1) -> (mean, std) of the Inception score over ``n_splits`` parts.

    Parts are contiguous (``np.array_split``; sizes differ by at most one); std is the population std (ddof=0).
    """
    p = _check_probs(probs, atol)
    if not 1 <= n_splits <= len(p):
        raise ValueError(f"n_splits must be between 1 and the number of samples ({len(p)}), got {n_splits}")
    scores = []
    for part in np.array_split(p, n_splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(np.maximum(part, EPS)) - np.log(np.maximum(marginal, EPS)))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def inception_over_time(probs_by_offset: Mapping[int, np.ndarray], n_splits: int = 10) -> list[dict]:
    """{offset: probs [N, K]} -> rows {offset, inception_score, std, n_samples}, sorted by offset.

    ``offset`` is how far from the conditioning frames the scored window starts (paper, Fig. 9). An offset with
    fewer than ``n_splits`` samples is scored with one part per sample.
    """
    rows = []
    for offset in sorted(probs_by_offset):
        p = np.asarray(probs_by_offset[offset])
        mean, std = inception_score(p, min(n_splits, max(len(p), 1)))
        rows.append({"offset": int(offset), "inception_score": mean, "std": std, "n_samples": int(len(p))})
    return rows


def motion(clips: np.ndarray) -> float:
    """Mean absolute frame-to-frame change of uint8 clips [B, T, H, W, C], in [0, 1] intensity units.

    A frozen generation (the same frame repeated) reads 0; real KTH motion is small but not 0. Needs T >= 2.
    """
    clips = np.asarray(clips)
    if clips.ndim != 5 or clips.shape[1] < 2:
        raise ValueError(f"clips must be [B, T>=2, H, W, C], got shape {clips.shape}")
    diff = np.abs(np.diff(clips.astype(np.int16), axis=1))
    return float(diff.mean() / PIXEL_MAX)
