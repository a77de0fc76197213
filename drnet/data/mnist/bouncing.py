"""Bouncing two-colour MNIST: the clip generator, over a digit bank (uint8 [N, S, S]) with labels.

The generator follows the paper: 64x64 RGB frames, each digit drawn in its own colour channel, moving with a
constant velocity and bouncing off the walls; where digits overlap the later one occludes the earlier one.
Training draws fresh clips from a store's digit bank (``source_from_store``), so it needs no downloader.
"""

from __future__ import annotations

import numpy as np

from drnet.errors import DrnetError


class BouncingMnist:
    """Bouncing two-colour MNIST clips drawn from a digit bank, any frame rendered directly.

    A clip is (digit ids, start positions, velocities, front digit), drawn from a numpy Generator. Positions
    are top-left (y, x) of each ``S x S`` digit, moving ``velocity`` pixels per frame and reflected at the
    walls: position(t) is the triangle wave of ``p0 + v * t`` over ``[0, image_size - S]``, which equals
    stepping frame by frame and bouncing, so frame t costs the same for t = 3 and t = 3000. Digit i is drawn in
    colour channel i (mod 3); one digit, chosen per clip as in the authors' code, is in front and occludes the
    others where they overlap (paper: "one occludes the other").
    """

    def __init__(self, digits: np.ndarray, labels: np.ndarray, image_size: int, num_digits: int, max_speed: int):
        self.digits, self.labels = np.asarray(digits, dtype=np.uint8), np.asarray(labels, dtype=np.int64)
        self.image_size, self.num_digits, self.max_speed = image_size, num_digits, max_speed
        self.limit = image_size - self.digits.shape[1]
        if self.limit <= 0 or max_speed > self.limit:
            raise DrnetError(f"digits of {self.digits.shape[1]} px do not bounce in {image_size} px frames at speed "
                             f"{max_speed}; lower mnist.data.digit_size or max_speed")

    def draw(self, rng: np.random.Generator) -> dict[str, np.ndarray | int]:
        """Draw one clip's parameters: ids int64 [D], p0 int64 [D, 2], velocity int64 [D, 2] (never 0), front."""
        n = self.num_digits
        ids = rng.choice(len(self.digits), size=n, replace=False)
        p0 = rng.integers(0, self.limit + 1, size=(n, 2))
        vel = rng.integers(-self.max_speed, self.max_speed + 1, size=(n, 2))
        vel[vel == 0] = 1
        return {"ids": ids, "p0": p0, "velocity": vel, "front": int(rng.integers(n))}

    def positions(self, clip: dict, ts: np.ndarray) -> np.ndarray:
        """Top-left positions int64 [T, D, 2] of the clip's digits at frames ``ts`` [T]."""
        period = 2 * self.limit
        u = np.mod(clip["p0"][None] + clip["velocity"][None] * np.asarray(ts)[:, None, None], period)
        return np.where(u <= self.limit, u, period - u).astype(np.int64)

    def render(self, clip: dict, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frames uint8 [T, H, H, 3] and positions int64 [T, D, 2] of the clip at frames ``ts``."""
        positions = self.positions(clip, ts)
        size, n = self.digits.shape[1], self.num_digits
        order = [i for i in range(n) if i != clip["front"]] + [clip["front"]]  # the front digit is drawn last
        frames = np.zeros((len(positions), self.image_size, self.image_size, 3), dtype=np.uint8)
        for t, pos in enumerate(positions):
            for i in order:
                digit = self.digits[clip["ids"][i]]
                y, x = pos[i]
                patch = frames[t, y:y + size, x:x + size]
                mask = digit > 0
                patch[mask] = 0  # occlude whatever is underneath
                patch[..., i % 3][mask] = digit[mask]
        return frames, positions


def source_from_store(store) -> BouncingMnist:
    """The clip generator behind an MNIST store (its digit bank and motion settings), for fresh clips."""
    if store.attrs.get("dataset") != "mnist" or "digits" not in store.arrays:
        raise DrnetError(f"{store.path} holds no MNIST digit bank; fresh clips need a store built by mnist_build "
                         f"(rebuild it) or set train.fresh_clips: false")
    return BouncingMnist(store.array("digits"), store.array("digit_labels"), store.int_attr("image_size"),
                         store.int_attr("num_digits"), store.int_attr("max_speed"))
