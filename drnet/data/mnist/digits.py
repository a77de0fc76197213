"""Digit banks that need no download: scikit-learn's bundled 8x8 digits (the demo's offline source), and the
resize every source goes through (uint8 [N, S, S])."""

from __future__ import annotations

import cv2
import numpy as np


def load_sklearn_digits(split: str, digit_size: int, test_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1797 real handwritten digits), split by a fixed sorted rule.

    Returns (uint8 [N, S, S], labels int64 [N]); every 10th-ish sample by index goes to test (deterministic).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.clip(bunch.images / 16.0 * 255.0, 0, 255).astype(np.uint8)  # [1797, 8, 8], values 0..16
    index = np.arange(len(images))
    is_test = (index % 10) < int(round(test_fraction * 10))
    keep = is_test if split == "test" else ~is_test
    return resize_digits(images[keep], digit_size), bunch.target[keep].astype(np.int64)


def resize_digits(images: np.ndarray, size: int) -> np.ndarray:
    """Digits uint8 [N, s, s] -> uint8 [N, size, size] (cubic when enlarging, area when shrinking)."""
    if images.shape[1] == size:
        return images
    interp = cv2.INTER_CUBIC if size > images.shape[1] else cv2.INTER_AREA
    out = np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in images])
    return np.clip(out, 0, 255).astype(np.uint8)
