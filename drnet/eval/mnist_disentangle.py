"""Disentanglement by swapping on Moving MNIST: content transfer, pose transfer and identity kept over time.

Digit i is drawn in colour channel i, so each channel of a swapped frame ``D(Ec(A), Ep(B))`` is classified by
the digit reader (``drnet.eval.readers``, trained on single real digits at random positions) and located by
matching A's digit image (the store's digit bank) against it. *Content transfer* is the fraction of digits read
as A's, *pose transfer* the position error against B's. Pairs are scored where B's digits do not overlap
(occlusion would otherwise cap what any reader can see). Every clip's ground truth is regenerated from the
store's generator parameters, so positions are known exactly, also beyond the stored frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from drnet.data.mnist.bouncing import BouncingMnist, source_from_store
from drnet.data.store import VideoStore
from drnet.eval.generate import CLIPS_PER_PASS, generate
from drnet.eval.readers import DigitReader, SwapFn, read_digits
from drnet.frames import to_float, unit_array
from drnet.runtime.context import module_device


def locate(channel: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """Top-left (y, x) where ``digit`` uint8 [S, S] best matches ``channel`` float [H, W] (normalized
    cross-correlation)."""
    score = cv2.matchTemplate(channel.astype(np.float32), unit_array(digit), cv2.TM_CCORR_NORMED)
    y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    return np.array([y, x])


@dataclass
class ClipTruth:
    """What a test clip is: its generator parameters, digit labels and bank images."""

    clip: dict
    labels: np.ndarray   # [D]
    digits: np.ndarray   # uint8 [D, S, S]


def test_truth(test: VideoStore, seed: int) -> tuple[BouncingMnist, list[ClipTruth]]:
    """Regenerate every test clip's parameters exactly as ``build_split`` drew them (split id 1)."""
    source = source_from_store(test)
    truths = []
    for i in range(len(test)):
        clip = source.draw(np.random.default_rng([seed, 1, i]))
        truths.append(ClipTruth(clip, source.labels[clip["ids"]], source.digits[clip["ids"]]))
    return source, truths


def _overlaps(truth: ClipTruth, pos: np.ndarray, size: int) -> bool:
    """Whether the clip's digits overlap at top-left positions ``pos`` [D, 2] (any shared inked pixel)."""
    masks = []
    s = truth.digits.shape[1]
    for digit, (y, x) in zip(truth.digits, pos):
        m = np.zeros((size, size), bool)
        m[y:y + s, x:x + s] = digit > 0
        masks.append(m)
    return bool(np.any(np.sum(masks, axis=0) > 1))


def swap_pairs(test: VideoStore, truths: list[ClipTruth], source: BouncingMnist, n_pairs: int, seed: int
               ) -> np.ndarray:
    """int64 [N, 4] rows (A, tA, B, tB): content clip A != pose clip B, B's digits not overlapping at tB."""
    rng = np.random.default_rng([seed, 13])
    rows: list[list[int]] = []
    for _ in range(50 * n_pairs):
        if len(rows) == n_pairs:
            break
        a, b = rng.choice(len(test), size=2, replace=False)
        ta, tb = (int(rng.integers(test.length[q])) for q in (a, b))
        if not _overlaps(truths[b], source.positions(truths[b].clip, np.array([tb]))[0], source.image_size):
            rows.append([int(a), ta, int(b), tb])
    return np.asarray(rows, dtype=np.int64).reshape(-1, 4)


def score_swaps(frames: torch.Tensor, pairs: np.ndarray, truths: list[ClipTruth], source: BouncingMnist,
                reader: DigitReader) -> dict[str, float]:
    """Read swapped frames [N, 3, H, W] (any device): content transfer (channel digit == A's), pose error (px)
    vs B."""
    n_digits = source.num_digits
    channels = frames[:, :n_digits].reshape(-1, 1, *frames.shape[2:])
    pred = read_digits(reader, channels).reshape(len(pairs), n_digits)
    a_labels = np.stack([truths[a].labels for a in pairs[:, 0]])
    b_labels = np.stack([truths[b].labels for b in pairs[:, 2]])
    errors = []
    arr = frames.float().cpu().numpy()
    for row, (a, _, b, tb) in enumerate(pairs):
        b_pos = source.positions(truths[b].clip, np.array([tb]))[0]
        for i in range(n_digits):
            errors.append(float(np.linalg.norm(locate(arr[row, i], truths[a].digits[i]) - b_pos[i])))
    return {"content_transfer": float((pred == a_labels).mean()),
            "content_matches_pose_clip": float((pred == b_labels).mean()),
            "pose_error_px": float(np.mean(errors)), "pose_error_px_median": float(np.median(errors))}


def real_frames(source: BouncingMnist, truths: list[ClipTruth], clips: np.ndarray, ts: np.ndarray) -> torch.Tensor:
    """The real frames of test clips ``clips`` at ``ts`` as float [N, 3, H, W] in [0, 1]."""
    frames = [source.render(truths[q].clip, np.array([t]))[0][0] for q, t in zip(clips, ts)]
    return to_float(np.stack(frames))


def oracle_swap(source: BouncingMnist, truths: list[ClipTruth]) -> SwapFn:
    """A perfect swapper: A's digits drawn at B's positions (the metric's ceiling)."""
    def swap(pairs: np.ndarray) -> torch.Tensor:
        out = []
        for a, _, b, tb in pairs:
            clip = dict(truths[b].clip, ids=truths[a].clip["ids"])
            out.append(source.render(clip, np.array([tb]))[0][0])
        return to_float(np.stack(out))
    return swap


def content_blind_swap(source: BouncingMnist, truths: list[ClipTruth]) -> SwapFn:
    """A decoder that ignores content: it returns B's own frame (content transfer at chance)."""
    return lambda pairs: real_frames(source, truths, pairs[:, 2], pairs[:, 3])


def model_swap(drnet, source: BouncingMnist, truths: list[ClipTruth], batch: int = 128) -> SwapFn:
    """DrNet's swap ``D(Ec(A_tA), Ep(B_tB))`` (eval mode, on the model's device), ``batch`` pairs at a time."""
    device = module_device(drnet)

    @torch.no_grad()
    def swap(pairs: np.ndarray) -> torch.Tensor:
        out = []
        for s in range(0, len(pairs), batch):
            p = pairs[s:s + batch]
            xa = real_frames(source, truths, p[:, 0], p[:, 1]).to(device)
            xb = real_frames(source, truths, p[:, 2], p[:, 3]).to(device)
            content, skips = drnet.encode_content(xa)
            out.append(drnet.decode(content, drnet.encode_pose(xb), skips).float().clamp(0, 1))
        return torch.cat(out)
    return swap


def mnist_swap_table(swap: SwapFn, pairs: np.ndarray, truths: list[ClipTruth], source: BouncingMnist,
                     reader: DigitReader) -> dict[str, float]:
    """Content/pose transfer of ``swap`` on ``pairs``, with chance levels and the reader's ceiling."""
    result = score_swaps(swap(pairs), pairs, truths, source, reader)
    # The model's own reconstruction (content from another frame of B, at A's frame index): what its decoder can
    # render at all. A swap cannot read better than this; content transfer far below it means entanglement.
    own = pairs[:, [2, 1, 2, 3]]
    result["own_reconstruction"] = score_swaps(swap(own), own, truths, source, reader)["content_transfer"]
    real_b = real_frames(source, truths, pairs[:, 2], pairs[:, 3])
    ceiling = score_swaps(real_b, pairs[:, [2, 3, 2, 3]], truths, source, reader)
    a_pos = np.stack([source.positions(truths[a].clip, np.array([ta]))[0] for a, ta, _, _ in pairs])
    b_pos = np.stack([source.positions(truths[b].clip, np.array([tb]))[0] for _, _, b, tb in pairs])
    a_labels = np.stack([truths[a].labels for a in pairs[:, 0]])
    b_labels = np.stack([truths[b].labels for b in pairs[:, 2]])
    result.update({
        "reader_acc_real": ceiling["content_transfer"],
        "content_chance": float((a_labels == b_labels).mean()),
        "pose_error_px_if_content_pose": float(np.linalg.norm(a_pos - b_pos, axis=-1).mean()),
        "n_pairs": int(len(pairs)),
    })
    return result


@torch.no_grad()
def mnist_over_time(drnet, lstm, truths: list[ClipTruth], source: BouncingMnist, reader: DigitReader,
                    n_past: int, offsets: list[int], n_clips: int, known: int) -> list[dict[str, float]]:
    """LSTM generations from the first ``n_past`` real frames of ``n_clips`` test clips: per offset after the
    last observed frame, the fraction of digits still read as the clip's, and the position error against the
    clip's true trajectory (which the generator defines for every frame; ``known`` = frames the store holds)."""
    clips = np.arange(min(n_clips, len(truths)))
    observed = torch.stack([real_frames(source, truths, np.full(n_past, q), np.arange(n_past)) for q in clips])
    length = max(offsets)
    frames = generate(drnet, lstm, observed, length, clips_per_pass=CLIPS_PER_PASS)  # frame j: offset j + 1
    rows = []
    for off in offsets:
        gen = frames[:, off - 1]
        pairs = np.stack([clips, np.full(len(clips), n_past - 1), clips, np.full(len(clips), n_past - 1 + off)], 1)
        s = score_swaps(gen, pairs, truths, source, reader)
        rows.append({"offset": off, "identity_kept": s["content_transfer"], "pose_error_px": s["pose_error_px"],
                     "within_stored_clip": bool(n_past - 1 + off < known), "n_clips": int(len(clips))})
    return rows


def mnist_rows(swap: dict, over_time: list[dict], probes: dict | None = None) -> list[dict]:
    """The MNIST disentanglement table as rows (measure, value, chance, ceiling, unit, how read)."""
    rows = [
        {"measure": "content transfer (digit read as content clip's)", "value": swap["content_transfer"],
         "chance": swap["content_chance"], "ceiling": swap["reader_acc_real"], "unit": "%",
         "how": "digit reader on each colour channel of D(Ec(A), Ep(B))"},
        {"measure": "own reconstruction read (content and pose from one clip: the decoder's ceiling)",
         "value": swap.get("own_reconstruction"), "chance": swap["content_chance"], "ceiling": swap["reader_acc_real"],
         "unit": "%", "how": "same reader on D(Ec(B at A's frame index), Ep(B)); content transfer / this = share kept"},
        {"measure": "digit read as pose clip's (content leaking through pose)",
         "value": swap["content_matches_pose_clip"], "chance": swap["content_chance"], "ceiling": None, "unit": "%",
         "how": "same reading, against B's digits"},
        {"measure": "pose transfer: position error vs pose clip", "value": swap["pose_error_px"],
         "chance": swap["pose_error_px_if_content_pose"], "ceiling": 0.0, "unit": "px",
         "how": "A's digit matched in each channel vs B's true position; chance = A's own positions"},
    ]
    for r in over_time:
        rows.append({"measure": f"LSTM generation t+{r['offset']}: identity kept", "value": r["identity_kept"],
                     "chance": swap["content_chance"], "ceiling": swap["reader_acc_real"], "unit": "%",
                     "how": f"{r['n_clips']} test clips, digit reader per channel"})
        rows.append({"measure": f"LSTM generation t+{r['offset']}: position error", "value": r["pose_error_px"],
                     "chance": None, "ceiling": 0.0, "unit": "px",
                     "how": "vs the clip's true trajectory" + ("" if r["within_stored_clip"] else
                                                              " (beyond the stored frames)")})
    return rows

