"""Disentanglement measured the way the paper shows it: by swapping content and pose between clips.

For a content clip A and a pose clip B, DrNet decodes ``D(Ec(A), Ep(B))``; a disentangled model draws A's
objects in B's configuration. Independent "reader" networks trained on *real* frames then read the swapped
frame: *content transfer* is the fraction of swaps whose object reads as A's, *pose transfer* how close its
pose is to B's. Each number comes with its chance level and the reader's own accuracy on real frames under the
same selection (the ceiling), so it can be read. MNIST here; the readers of other datasets sit beside it.

MNIST specifics: digit i is drawn in colour channel i, so each channel of a swapped frame is classified by a
digit classifier trained on single real digits at random positions, and located by matching A's digit image
(the store's digit bank) against it. Pairs are scored where B's digits do not overlap (occlusion would
otherwise cap what any reader can see).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drnet.data.mnist import BouncingMnist, source_from_store
from drnet.data.store import VideoStore

log = logging.getLogger(__name__)

# (content clip, content frame, pose clip, pose frame) -> swapped frames float [N, C, H, W] in [0, 1]
SwapFn = Callable[[np.ndarray], torch.Tensor]


class DigitReader(nn.Module):
    """One colour channel [B, 1, H, W] in [0, 1] -> digit logits [B, 10]; convs, then a global max pool (any
    position reads alike). Frames above 32 px are average-pooled to 32 px first (digits stay legible)."""

    def __init__(self, width: int = 32):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                       nn.Conv2d(c_out, c_out, 3, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.out = nn.Linear(c_in, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > 32:
            x = F.adaptive_avg_pool2d(x, 32)
        return self.out(self.features(x).amax(dim=(2, 3)))


def _single_digits(source: BouncingMnist, rng: np.random.Generator, n: int,
                   degrade: bool) -> tuple[np.ndarray, np.ndarray]:
    """n frames float32 [n, 1, H, W] each holding one bank digit at a random position, and its labels [n].

    ``degrade`` blurs and dims some of them, so the reader also reads a decoder's softer strokes.
    """
    size, s = source.image_size, source.digits.shape[1]
    ids = rng.integers(len(source.digits), size=n)
    pos = rng.integers(0, size - s + 1, size=(n, 2))
    out = np.zeros((n, 1, size, size), dtype=np.float32)
    for i, (k, (y, x)) in enumerate(zip(ids, pos)):
        digit = source.digits[k].astype(np.float32) / 255.0
        if degrade and rng.random() < 0.5:
            digit = cv2.GaussianBlur(digit, (0, 0), float(rng.uniform(0.5, 1.5))) * float(rng.uniform(0.5, 1.0))
        out[i, 0, y:y + s, x:x + s] = digit
    return out, source.labels[ids]


def train_digit_reader(train: VideoStore, test: VideoStore, steps: int, batch_size: int, seed: int,
                       width: int = 32) -> tuple[DigitReader, float]:
    """Train the digit reader on the training split's digit bank; return it (eval mode) and its accuracy on
    the test split's digits at random positions."""
    src_train, src_test = source_from_store(train), source_from_store(test)
    rng = np.random.default_rng([seed, 11])
    torch.manual_seed(seed)
    reader = DigitReader(width)
    opt = torch.optim.Adam(reader.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    reader.train()
    for _ in range(steps):
        x, y = _single_digits(src_train, rng, batch_size, degrade=True)
        loss = F.cross_entropy(reader(torch.from_numpy(x)), torch.from_numpy(y))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    reader.eval()
    x, y = _single_digits(src_test, np.random.default_rng([seed, 12]), 2000, degrade=False)
    acc = float((read_digits(reader, torch.from_numpy(x)) == y).mean())
    return reader, acc


@torch.no_grad()
def read_digits(reader: DigitReader, channels: torch.Tensor, batch: int = 512) -> np.ndarray:
    """channels float [N, 1, H, W] in [0, 1] -> predicted digit int64 [N]."""
    return np.concatenate([reader(channels[s:s + batch].float()).argmax(1).numpy()
                           for s in range(0, len(channels), batch)]) if len(channels) else np.zeros(0, np.int64)


def locate(channel: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """Top-left (y, x) where ``digit`` uint8 [S, S] best matches ``channel`` float [H, W] (normalised
    cross-correlation)."""
    score = cv2.matchTemplate(channel.astype(np.float32), digit.astype(np.float32) / 255.0, cv2.TM_CCORR_NORMED)
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
    """Read swapped frames [N, 3, H, W]: content transfer (channel digit == A's), pose error (px) vs B."""
    n_digits = source.num_digits
    channels = frames[:, :n_digits].reshape(-1, 1, *frames.shape[2:])
    pred = read_digits(reader, channels).reshape(len(pairs), n_digits)
    a_labels = np.stack([truths[a].labels for a in pairs[:, 0]])
    b_labels = np.stack([truths[b].labels for b in pairs[:, 2]])
    errors = []
    arr = frames.float().numpy()
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
    return torch.from_numpy(np.stack(frames)).movedim(-1, 1).float() / 255.0


def oracle_swap(source: BouncingMnist, truths: list[ClipTruth]) -> SwapFn:
    """A perfect swapper: A's digits drawn at B's positions (the metric's ceiling)."""
    def swap(pairs: np.ndarray) -> torch.Tensor:
        out = []
        for a, _, b, tb in pairs:
            clip = dict(truths[b].clip, ids=truths[a].clip["ids"])
            out.append(source.render(clip, np.array([tb]))[0][0])
        return torch.from_numpy(np.stack(out)).movedim(-1, 1).float() / 255.0
    return swap


def content_blind_swap(source: BouncingMnist, truths: list[ClipTruth]) -> SwapFn:
    """A decoder that ignores content: it returns B's own frame (content transfer at chance)."""
    return lambda pairs: real_frames(source, truths, pairs[:, 2], pairs[:, 3])


def model_swap(drnet, source: BouncingMnist, truths: list[ClipTruth], batch: int = 128) -> SwapFn:
    """DrNet's swap ``D(Ec(A_tA), Ep(B_tB))`` (eval mode, on CPU)."""
    @torch.no_grad()
    def swap(pairs: np.ndarray) -> torch.Tensor:
        out = []
        for s in range(0, len(pairs), batch):
            p = pairs[s:s + batch]
            xa = real_frames(source, truths, p[:, 0], p[:, 1])
            xb = real_frames(source, truths, p[:, 2], p[:, 3])
            content, skips = drnet.encode_content(xa)
            out.append(drnet.decode(content, drnet.encode_pose(xb), skips).float().clamp(0, 1))
        return torch.cat(out)
    return swap


def mnist_swap_table(swap: SwapFn, pairs: np.ndarray, truths: list[ClipTruth], source: BouncingMnist,
                     reader: DigitReader) -> dict[str, float]:
    """Content/pose transfer of ``swap`` on ``pairs``, with chance levels and the reader's ceiling."""
    result = score_swaps(swap(pairs), pairs, truths, source, reader)
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
    from drnet.eval.generate import generate

    clips = np.arange(min(n_clips, len(truths)))
    observed = torch.stack([real_frames(source, truths, np.full(n_past, q), np.arange(n_past)) for q in clips])
    length = max(offsets)
    frames = generate(drnet, lstm, observed, length)  # [N, length, C, H, W]; frame j is offset j + 1
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


def format_value(value: float | None, unit: str) -> str:
    """One format per quantity: fractions as percentages, pixel distances with one decimal."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if unit == "abs":  # a mean absolute intensity change in [0, 1]
        return f"{value:.4f}"
    return f"{100 * value:.1f}%" if unit == "%" else f"{value:.1f} {unit}"


# ---- NORB and chairs: each clip is one object seen over its azimuths (frame t = azimuth index t) ----

def _frames_float(store: VideoStore, items: np.ndarray) -> torch.Tensor:
    """items int [N, 2] (clip, t) -> float [N, C, H, W] in [0, 1]."""
    frames = np.stack([store.frame(int(q), int(t)) for q, t in items])
    return torch.from_numpy(frames).movedim(-1, 1).float() / 255.0


def _all_items(store: VideoStore) -> np.ndarray:
    return np.array([(q, t) for q in range(len(store)) for t in range(int(store.length[q]))], dtype=np.int64)


def train_frame_reader(store: VideoStore, items: np.ndarray, labels: np.ndarray, n_classes: int, seed: int,
                       width: int, max_epochs: int, batch_size: int = 64) -> tuple[nn.Module, float]:
    """A CNN reading ``labels`` off real frames ``items`` of ``store``: trained on a seeded 80% of them, its
    accuracy on the other 20% (real frames) returned as the ceiling of any swap read by it."""
    from drnet.eval.classifiers import ActionClassifier, evaluate_accuracy, fit_classifier

    order = np.random.default_rng([seed, 21]).permutation(len(items))
    cut = int(0.8 * len(items))
    train_idx, held_idx = np.sort(order[:cut]), np.sort(order[cut:])
    x = _frames_float(store, items)
    torch.manual_seed(seed)
    reader = ActionClassifier(x.shape[1], n_classes, width=width, image_size=x.shape[-1], dropout=0.2)
    reader, _ = fit_classifier(reader, x[train_idx], labels[train_idx], batch_size=batch_size,
                               max_epochs=max_epochs, patience=3, seed=seed)
    return reader.eval(), float(evaluate_accuracy(reader, x[held_idx], labels[held_idx]))


def object_model_swap(drnet, store: VideoStore) -> SwapFn:
    """DrNet's swap D(Ec(A_tA), Ep(B_tB)) on an object store, for rows (A, tA, B, tB)."""
    @torch.no_grad()
    def swap(pairs: np.ndarray) -> torch.Tensor:
        content, skips = drnet.encode_content(_frames_float(store, pairs[:, :2]))
        return drnet.decode(content, drnet.encode_pose(_frames_float(store, pairs[:, 2:])), skips).float().clamp(0, 1)
    return swap


def object_swap_table(swap: SwapFn, store: VideoStore, content_column: str, n_pairs: int, seed: int,
                      width: int = 16, max_epochs: int = 15) -> dict[str, float]:
    """Swap content and pose between clips of an object dataset with ``swap`` and read the result.

    Content transfer: an object reader (``content_column``: NORB ``category``, chairs ``model``) trained on real
    test frames reads D(Ec(A_tA), Ep(B_tB)) as A's object; pose transfer: an azimuth reader reads it as B's
    azimuth tB. Returns both, what each would score reading the other clip, chance levels and the readers'
    accuracy on held-out real frames (the ceilings).
    """
    from drnet.eval.classifiers import predict_proba

    items = _all_items(store)
    objects = np.unique(store.meta(content_column), return_inverse=True)[1]
    content_labels = objects[items[:, 0]]
    n_az = int(store.length.max())
    obj_reader, obj_ceiling = train_frame_reader(store, items, content_labels, int(objects.max()) + 1, seed, width,
                                                 max_epochs)
    az_reader, az_ceiling = train_frame_reader(store, items, items[:, 1], n_az, seed + 1, width, max_epochs)
    rng = np.random.default_rng([seed, 22])
    a, b = (rng.integers(len(store), size=4 * n_pairs) for _ in range(2))
    keep = np.flatnonzero(objects[a] != objects[b])[:n_pairs]  # different objects, or a swap shows nothing
    a, b = a[keep], b[keep]
    ta, tb = (rng.integers(store.length[q]) for q in (a, b))
    if not len(a):
        raise ValueError(f"{store.path}: every clip shows the same {content_column}; a swap needs two objects")
    swapped = swap(np.stack([a, ta, b, tb], 1))
    obj = predict_proba(obj_reader, swapped).argmax(1)
    az = predict_proba(az_reader, swapped).argmax(1)
    return {
        "content_transfer": float((obj == objects[a]).mean()),
        "content_from_pose_clip": float((obj == objects[b]).mean()),
        "pose_transfer": float((az == tb).mean()), "pose_from_content_clip": float((az == ta).mean()),
        "content_chance": float(np.mean(objects[a][:, None] == objects[None, :])),  # a clip's object at random
        "pose_chance": 1.0 / n_az, "content_reader_ceiling": obj_ceiling, "pose_reader_ceiling": az_ceiling,
        "n_pairs": int(len(a)),
    }


# ---- KTH: whose person does a generated frame show, and does it move? ----

def kth_table(drnet, lstm, store: VideoStore, n_past: int, offsets: list[int], n_clips: int, n_pairs: int,
              seed: int, width: int = 16, max_epochs: int = 15, max_reader_frames: int = 20000) -> list[dict]:
    """Person kept by content in swaps and LSTM generations, and motion of generations against real video.

    A person reader trained on real test frames (a seeded 80%; its accuracy on the other 20% is the ceiling)
    reads D(Ec(A), Ep(B)) for clips of different persons (content transfer = A's person) and the generated
    frames at each offset (person kept). Motion is the mean frame-to-frame change (``inception.motion``) of
    generated and real continuations of the same clips up to each offset: a frozen generation reads 0.
    """
    from drnet.eval.classifiers import predict_proba
    from drnet.eval.generate import generate
    from drnet.eval.inception import motion

    rng = np.random.default_rng([seed, 31])
    items = _all_items(store)
    if len(items) > max_reader_frames:
        items = items[np.sort(rng.choice(len(items), max_reader_frames, replace=False))]
    persons = np.unique(store.meta("person"), return_inverse=True)[1]
    reader, ceiling = train_frame_reader(store, items, persons[items[:, 0]], int(persons.max()) + 1, seed, width,
                                         max_epochs)
    chance = float(np.mean(persons[:, None] == persons[None, :]))
    a, b = (rng.integers(len(store), size=4 * n_pairs) for _ in range(2))
    keep = np.flatnonzero(persons[a] != persons[b])[:n_pairs]
    a, b = a[keep], b[keep]
    ta, tb = (rng.integers(store.length[q]) for q in (a, b))
    nan = float("nan")
    if len(a):  # a store of one person has no pair of different persons to swap
        read = predict_proba(reader, object_model_swap(drnet, store)(np.stack([a, ta, b, tb], 1))).argmax(1)
    rows = [{"measure": "swap: person of the content clip",
             "value": float((read == persons[a]).mean()) if len(a) else nan, "chance": chance, "ceiling": ceiling,
             "unit": "%"},
            {"measure": "swap: person of the pose clip (content through pose)",
             "value": float((read == persons[b]).mean()) if len(a) else nan, "chance": chance, "ceiling": None,
             "unit": "%"}]
    horizon = max(offsets)
    long_enough = np.flatnonzero(store.length >= n_past + horizon)
    clips = np.sort(rng.choice(long_enough, min(n_clips, len(long_enough)), replace=False)) if len(long_enough) \
        else np.sort(np.argsort(-store.length)[:n_clips])
    real_len = min(horizon, int(store.length[clips].min()) - n_past)
    observed = torch.stack([_frames_float(store, np.stack([np.full(n_past, q), np.arange(n_past)], 1))
                            for q in clips])
    gen = generate(drnet, lstm, observed, horizon)  # [N, horizon, C, H, W]
    gen_u8 = (gen.clamp(0, 1) * 255 + 0.5).to(torch.uint8).movedim(2, -1).numpy()
    real_u8 = np.stack([store.frames(int(q), n_past - 1, real_len + 1) for q in clips]) if real_len > 0 else None
    for off in offsets:
        kept = predict_proba(reader, gen[:, off - 1]).argmax(1) == persons[clips]
        rows.append({"measure": f"generation t+{off}: person kept", "value": float(kept.mean()), "chance": chance,
                     "ceiling": ceiling, "unit": "%"})
        span = min(off, real_len)
        rows.append({"measure": f"generation t+1..t+{off}: motion, generated / real",
                     "value": motion(gen_u8[:, :off]) if off > 1 else float("nan"),
                     "chance": None, "ceiling": motion(real_u8[:, :span + 1]) if real_u8 is not None and span > 0
                     else None, "unit": "abs"})
    return rows


def write_swap_table(rows: list[dict], csv_out: str, md_out: str, caption: str) -> str:
    """Write a disentanglement table: numbers as CSV, and beside ``md_out`` the same table as Markdown and HTML
    (the report embeds them), each value formatted by its row's ``unit`` (default %). Returns the Markdown."""
    import pandas as pd

    from drnet.eval.tables import to_html, to_markdown
    from drnet.io import atomic_write_text

    df = pd.DataFrame(rows)
    units = df["unit"] if "unit" in df else pd.Series(["%"] * len(df))
    shown = df.assign(**{c: [format_value(v, u) for v, u in zip(df[c], units)] for c in ("value", "chance", "ceiling")})
    shown = shown.drop(columns="unit", errors="ignore").rename(columns={"ceiling": "on real frames"})
    atomic_write_text(csv_out, df.to_csv(index=False, float_format="%.6g"))
    markdown = to_markdown(shown, caption=caption)
    atomic_write_text(md_out, markdown)
    atomic_write_text(Path(md_out).with_suffix(".html"), to_html(shown, caption=caption))
    return markdown
