"""The paper's classification experiments and the cross-dataset leakage probes.

- Table 1 (NORB): object category from content vectors and from pose vectors, with and without the adversarial
  term; a 2-layer MLP (256 hidden, LeakyReLU, BatchNorm, dropout) with early stopping on a validation split.
- Figure 8 (KTH): action from a sequence of 24 pose vectors, classifier trained on 1..12 training subjects and
  tested on the test persons, DrNet pose vs the autoencoder baseline's latents; MLP with 1200 hidden units.
- Beyond the paper, every dataset: how much clip identity a linear probe reads off pose (the scene
  discriminator's job is to remove it) and how much pose (position/azimuth) it reads off content.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from drnet.data.store import VideoStore
from drnet.eval.classifiers import evaluate_accuracy, fit_classifier
from drnet.eval.probe import chance, encode_frames, linear_probe
from drnet.frames import to_float
from drnet.models.classifiers import MLPClassifier


def frame_items(store: VideoStore, max_frames: int | None, seed: int) -> np.ndarray:
    """All (sequence, t) pairs of the store in order, or a seeded sample of ``max_frames`` of them; int64 [N, 2]."""
    seqs = np.repeat(np.arange(len(store)), store.length)
    ts = np.concatenate([np.arange(n) for n in store.length])
    items = np.stack([seqs, ts], axis=1).astype(np.int64)
    if max_frames is not None and len(items) > max_frames:
        pick = np.sort(np.random.default_rng(seed).choice(len(items), size=max_frames, replace=False))
        items = items[pick]
    return items


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-6
    return [(a - mean) / std for a in (train, *others)]


def mlp_accuracy(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *, n_classes: int,
                 hidden: int, dropout: float, max_epochs: int, patience: int, val_fraction: float, seed: int,
                 batch_size: int = 100, device: str | torch.device = "cpu") -> tuple[float, int]:
    """Test accuracy of the paper's 2-layer MLP classifier (early stopping on a seeded validation split), trained
    and tested on ``device``, and the number of epochs it trained."""
    x_train, x_test = _standardise(x_train.astype(np.float32), x_test.astype(np.float32))
    torch.manual_seed(seed)
    model = MLPClassifier(x_train.shape[1], n_classes, hidden=hidden, dropout=dropout)
    model, history = fit_classifier(model, x_train, y_train, val_fraction=val_fraction, batch_size=batch_size,
                                    max_epochs=max_epochs, patience=patience, seed=seed, device=device)
    return evaluate_accuracy(model, x_test, y_test), len(history)


# ---------------------------------------------------------------- Table 1 (NORB)

def object_classification(models: dict[str, torch.nn.Module], train: VideoStore, test: VideoStore, *,
                          label: str, cfg, seed: int, device: str = "cpu") -> pd.DataFrame:
    """One row per (model, features in {content, pose}): test accuracy of the MLP predicting ``label`` (a
    per-sequence meta column, e.g. NORB category) from that model's vectors of single frames. The frames are
    encoded and the MLPs trained on ``device`` (where the models are)."""
    tr_items = frame_items(train, cfg.max_train_frames, seed)
    te_items = frame_items(test, cfg.max_test_frames, seed + 1)
    y_tr, y_te = train.meta(label)[tr_items[:, 0]], test.meta(label)[te_items[:, 0]]
    n_classes = int(max(y_tr.max(), y_te.max())) + 1
    rows = []
    for name, model in models.items():
        c_tr, p_tr = encode_frames(model, train, tr_items, device)
        c_te, p_te = encode_frames(model, test, te_items, device)
        for features, (a, b) in {"content": (c_tr, c_te), "pose": (p_tr, p_te)}.items():
            acc, epochs = mlp_accuracy(a, y_tr, b, y_te, n_classes=n_classes, hidden=cfg.hidden, dropout=cfg.dropout,
                                       max_epochs=cfg.max_epochs, patience=cfg.patience,
                                       val_fraction=cfg.val_fraction, seed=seed, device=device)
            rows.append({"model": name, "features": features, "accuracy": acc, "chance": 1.0 / n_classes,
                         "majority": chance(y_tr, y_te), "n_train": len(tr_items), "n_test": len(te_items),
                         "epochs": epochs})
    return pd.DataFrame(rows)


def table1_summary(long: pd.DataFrame) -> dict:
    """The headline numbers of Table 1 (DVC metrics): accuracy per model (adv, noadv) and features, chance and
    frame counts."""
    summary = {f"{m}_{f}_acc": float(long[(long.model == m) & (long.features == f)].accuracy.iloc[0])
               for m in ("adv", "noadv") for f in ("content", "pose")}
    summary.update(chance=float(long.chance.iloc[0]), n_train=int(long.n_train.iloc[0]),
                   n_test=int(long.n_test.iloc[0]))
    return summary


# ---------------------------------------------------------------- Figure 8 (KTH few-shot)

SUPERVISED_SOA = 0.939  # paper, Figure 8 caption: fully supervised state of the art on KTH (published, not ours)


@torch.no_grad()
def clip_windows(model, store: VideoStore, seq_len: int, device: str = "cpu", batch: int = 256
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Pose vectors of every non-overlapping ``seq_len``-frame window of every clip, flattened:
    (float32 [W, seq_len * P], clip index [W]). Clips shorter than ``seq_len`` give no window. The windows'
    frames are encoded ``batch`` at a time on ``device``, across clip boundaries (short clips do not make
    small batches)."""
    spans = [(seq, int(store.length[seq]) // seq_len * seq_len) for seq in range(len(store))]
    spans = [(seq, n) for seq, n in spans if n]
    if not spans:
        raise ValueError(f"no clip of {store.path} has {seq_len} frames; lower fewshot.seq_len")
    poses, pending, held = [], [], 0
    for i, (seq, n) in enumerate(spans):
        pending.append(store.frames(seq, 0, n))
        held += n
        last = i == len(spans) - 1
        while held >= batch or (last and held):
            frames = np.concatenate(pending)
            poses.append(model.encode_pose(to_float(frames[:batch], device)).float().cpu().numpy())
            pending, held = [frames[batch:]], len(frames) - min(batch, len(frames))
    pose = np.concatenate(poses)
    feats = pose.reshape(-1, seq_len * pose.shape[1])
    owners = np.concatenate([np.full(n // seq_len, seq, dtype=np.int64) for seq, n in spans])
    return feats, owners


def fewshot_curve(models: dict[str, torch.nn.Module], train: VideoStore, test: VideoStore, *, cfg, seed: int,
                  device: str = "cpu") -> pd.DataFrame:
    """One row per (model, n_subjects, repeat): test accuracy of the action MLP trained on the windows of
    ``n_subjects`` training persons drawn at random (seeded per repeat); pose windows and MLPs on ``device``."""
    actions = sorted(set(train.meta("action")) | set(test.meta("action")))
    index = {a: i for i, a in enumerate(actions)}
    persons = np.array(sorted(set(int(p) for p in train.meta("person"))))
    subjects = [n for n in cfg.subjects if n <= len(persons)]
    if not subjects:
        raise ValueError(f"fewshot.subjects {cfg.subjects} all exceed the {len(persons)} training persons")
    rows = []
    for name, model in models.items():
        x_tr, clip_tr = clip_windows(model, train, cfg.seq_len, device)
        x_te, clip_te = clip_windows(model, test, cfg.seq_len, device)
        y_tr = np.array([index[a] for a in train.meta("action")])[clip_tr]
        y_te = np.array([index[a] for a in test.meta("action")])[clip_te]
        person_tr = train.meta("person")[clip_tr].astype(int)
        for n in subjects:
            for r in range(cfg.repeats):
                rng = np.random.default_rng([seed, n, r])
                chosen = rng.choice(persons, size=n, replace=False)
                keep = np.isin(person_tr, chosen)
                acc, epochs = mlp_accuracy(x_tr[keep], y_tr[keep], x_te, y_te, n_classes=len(actions),
                                           hidden=cfg.hidden, dropout=cfg.dropout, max_epochs=cfg.epochs,
                                           patience=cfg.patience, val_fraction=0.1, seed=seed + r,
                                           device=device)
                rows.append({"model": name, "subjects": n, "repeat": r, "accuracy": acc,
                             "n_train_windows": int(keep.sum()), "n_test_windows": len(x_te),
                             "persons": " ".join(map(str, sorted(chosen))), "epochs": epochs})
    return pd.DataFrame(rows)


def fewshot_summary(df: pd.DataFrame) -> dict:
    """The headline numbers of Figure 8 (DVC metrics): mean accuracy per model at the largest subject count and
    at one subject, beside the published supervised state of the art and chance."""
    top = int(df.subjects.max())
    means = df[df.subjects == top].groupby("model").accuracy.mean()
    summary = {f"{m}_acc_{top}_subjects": float(means[m]) for m in means.index}
    summary.update({f"{m}_acc_1_subject": float(df[(df.subjects == 1) & (df.model == m)].accuracy.mean())
                    for m in means.index if (df.subjects == 1).any()})
    summary.update(supervised_soa=SUPERVISED_SOA, chance=1 / 6)
    return summary


# ---------------------------------------------------------------- leakage probes (all datasets)

def pose_factor(store: VideoStore, items: np.ndarray, position_bins: int = 4, azimuth_bins: int = 12
                ) -> tuple[np.ndarray | None, str]:
    """The per-frame pose label of a store, as classes: MNIST digit-0 position cell, NORB/chairs azimuth bin.
    (None, reason) for datasets without a pose label (KTH)."""
    dataset = store.attrs.get("dataset")
    if dataset == "mnist":
        limit = store.frame_shape[0] - store.int_attr("digit_size") + 1
        pos = np.stack([store.frame_meta("position", int(q))[int(t), 0] for q, t in items])
        cells = np.minimum(pos * position_bins // limit, position_bins - 1)
        return cells[:, 0] * position_bins + cells[:, 1], f"position ({position_bins}x{position_bins} cell)"
    if dataset in ("norb", "chairs"):
        az = np.array([store.frame_meta("azimuth", int(q))[int(t)] for q, t in items], dtype=np.float64)
        return (np.floor((az % 360) / (360 / azimuth_bins)).astype(np.int64) % azimuth_bins,
                f"azimuth ({azimuth_bins} bins)")
    return None, "no pose label"


def leakage_items(store: VideoStore, n_clips: int, frames_per_clip: int, seed: int) -> np.ndarray:
    """Up to ``frames_per_clip`` evenly spaced frames from each of up to ``n_clips`` seeded clips; int64 [N, 2]."""
    rng = np.random.default_rng(seed)
    seqs = np.sort(rng.choice(len(store), size=min(n_clips, len(store)), replace=False))
    items = []
    for q in seqs:
        n = int(store.length[q])
        ts = np.unique(np.linspace(0, n - 1, min(frames_per_clip, n)).round().astype(np.int64))
        items += [(int(q), int(t)) for t in ts]
    return np.asarray(items, dtype=np.int64)


def leakage(model, store: VideoStore, *, n_clips: int, frames_per_clip: int, max_iter: int, seed: int,
            device: str = "cpu") -> dict:
    """Linear probes on one test store. Clip identity (from pose, from content): frames of each clip split
    alternately into probe train/test. The pose factor (from content, from pose): clips split alternately, so
    the probe has to generalise to clips it has not seen (as a pose read-out must)."""
    items = leakage_items(store, n_clips, frames_per_clip, seed)
    content, pose = encode_frames(model, store, items, device)
    clip = items[:, 0]
    rank = np.concatenate([np.arange(c) for c in np.unique(clip, return_counts=True)[1]])
    tr, te = rank % 2 == 0, rank % 2 == 1
    out = {"n_clips": int(len(np.unique(clip))), "n_frames": int(len(items)),
           "clip_from_pose": linear_probe(pose[tr], clip[tr], pose[te], clip[te], max_iter, seed),
           "clip_from_content": linear_probe(content[tr], clip[tr], content[te], clip[te], max_iter, seed),
           "clip_chance": chance(clip[tr], clip[te])}
    factor, factor_name = pose_factor(store, items)
    out["pose_factor"] = factor_name
    clip_rank = np.searchsorted(np.unique(clip), clip)
    tr, te = clip_rank % 2 == 0, clip_rank % 2 == 1
    if factor is None or len(np.unique(factor[tr])) < 2 or not te.any():
        out.update(pose_from_content=float("nan"), pose_from_pose=float("nan"), pose_chance=float("nan"))
    else:
        out.update(pose_from_content=linear_probe(content[tr], factor[tr], content[te], factor[te], max_iter, seed),
                   pose_from_pose=linear_probe(pose[tr], factor[tr], pose[te], factor[te], max_iter, seed),
                   pose_chance=chance(factor[tr], factor[te]))
    return out
