"""Disentanglement on KTH: whose person does a swapped or generated frame show, and does a generation move?"""

from __future__ import annotations

import numpy as np
import torch

from drnet.data.store import VideoStore
from drnet.eval.classifiers import predict_proba
from drnet.eval.generate import CLIPS_PER_PASS, generate
from drnet.eval.inception import motion
from drnet.eval.object_disentangle import object_model_swap
from drnet.eval.readers import all_items, train_frame_reader
from drnet.frames import store_frames, to_uint8
from drnet.runtime.context import module_device


def kth_table(drnet, lstm, store: VideoStore, n_past: int, offsets: list[int], n_clips: int, n_pairs: int,
              seed: int, width: int = 16, max_epochs: int = 15, max_reader_frames: int = 20000,
              batch: int = 256) -> list[dict]:
    """Person kept by content in swaps and LSTM generations, and motion of generations against real video.

    A person reader trained on real test frames (a seeded 80%; its accuracy on the other 20% is the ceiling)
    reads D(Ec(A), Ep(B)) for clips of different persons (content transfer = A's person) and the generated
    frames at each offset (person kept). Motion is the mean frame-to-frame change (``inception.motion``) of
    generated and real continuations of the same clips up to each offset: a frozen generation reads 0.
    Everything runs on the models' device (the reader trains there too); ``batch``: frames per decoder pass of
    the true-pose decode.
    """
    rng = np.random.default_rng([seed, 31])
    items = all_items(store)
    if len(items) > max_reader_frames:
        items = items[np.sort(rng.choice(len(items), max_reader_frames, replace=False))]
    persons = np.unique(store.meta("person"), return_inverse=True)[1]
    reader, ceiling = train_frame_reader(store, items, persons[items[:, 0]], int(persons.max()) + 1, seed, width,
                                         max_epochs, device=module_device(drnet))
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
    observed = torch.stack([store_frames(store, np.stack([np.full(n_past, q), np.arange(n_past)], 1))
                            for q in clips])
    gen = generate(drnet, lstm, observed, horizon, clips_per_pass=CLIPS_PER_PASS)  # [N, horizon, C, H, W]
    gen_u8 = to_uint8(gen)
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
    if real_u8 is not None and real_len > 1:
        rows.append({"measure": f"decoder on the clip's true poses t+1..t+{real_len}: motion, decoded / real",
                     "value": motion(to_uint8(true_pose_decode(drnet, store, clips, n_past, real_len, batch))),
                     "chance": None, "ceiling": motion(real_u8[:, 1:]), "unit": "abs"})
    return rows


@torch.no_grad()
def true_pose_decode(drnet, store: VideoStore, clips: np.ndarray, n_past: int, length: int,
                     batch: int = 256) -> torch.Tensor:
    """D(Ec(x_{n_past-1}), Ep(x_t)) for the clips' real frames t = n_past .. n_past+length-1: [N, length, C, H, W],
    on the model's device.

    The LSTM left out: if these frames do not move as the real ones do, a frozen generation is the decoder's
    doing (it ignores pose), not the LSTM's. Poses are encoded and frames decoded for as many clips at once as
    fit in ``batch`` frames (at least one clip); each clip's content frame is encoded on its own, as a batch of
    one (a batched content pass takes other CPU kernels and would move the CPU numbers by ~1e-7).
    """
    device = module_device(drnet)
    per = max(1, batch // max(length, 1))
    out = []
    for s in range(0, len(clips), per):
        group = clips[s:s + per]
        x = store_frames(store, np.stack([np.repeat(group, length + 1),
                                          np.tile(np.arange(n_past - 1, n_past + length), len(group))], 1), device)
        x = x.view(len(group), length + 1, *x.shape[1:])
        encoded = [drnet.encode_content(clip[:1]) for clip in x]
        content = torch.cat([c for c, _ in encoded]).repeat_interleave(length, dim=0)
        skips = None
        if encoded[0][1] is not None:
            skips = [torch.cat(level).repeat_interleave(length, dim=0) for level in zip(*(k for _, k in encoded))]
        frames = drnet.decode(content, drnet.encode_pose(x[:, 1:].flatten(0, 1)), skips).float().clamp(0, 1)
        out.append(frames.view(len(group), length, *frames.shape[1:]))
    return torch.cat(out)
