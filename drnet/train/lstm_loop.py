"""The pose-LSTM training loop (paper Section 3.1).

The trained DrNet is frozen. For a window of n_past + n_future frames, poses come from Ep, the content vector
from the last observed frame (x[n_past - 1]); the LSTM is trained with teacher forcing to predict pose(t) from
pose(t - 1) and the content, for t = 1 .. n_past + n_future - 1 (authors' schedule), with an MSE loss.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

from drnet import checkpoint as ckpt
from drnet.checkpoint import load_model
from drnet.data.mnist import source_from_store
from drnet.data.sampling import FreshWindowDataset, StepBatchSampler, WindowDataset, fresh_window_plan, window_plan
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.io import atomic_path
from drnet.models.lstm import PoseLSTM
from drnet.progress import progress
from drnet.train.resume import resume as resume_run
from drnet.train.runtime import Context, all_reduce_mean, barrier, widen

log = logging.getLogger(__name__)


@torch.no_grad()
def encode_window(model, frames: torch.Tensor, n_past: int) -> tuple[torch.Tensor, torch.Tensor]:
    """frames float [B, T, C, H, W] -> (poses [B, T, P], content of frame n_past - 1 [B, Dc])."""
    b, t = frames.shape[:2]
    poses = model.encode_pose(frames.flatten(0, 1)).view(b, t, -1)
    content, _ = model.encode_content(frames[:, n_past - 1])
    return poses, content


def lstm_loss(lstm: torch.nn.Module, poses: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Teacher-forced MSE of predicted pose(t) vs Ep(x_t) for t = 1 .. T-1. poses [B, T, P], content [B, Dc]."""
    pred = lstm(poses[:, :-1], content)
    return F.mse_loss(widen(pred), widen(poses[:, 1:]))


def train_lstm(*, drnet_path: str | Path, lstm_model_cfg, lstm_cfg, runtime, store_path: str | Path,
               model_out: str | Path, checkpoint_path: str | Path, metrics_out: str | Path, seed: int,
               params: dict, params_hash: str, ctx: Context, resume: str = "auto") -> dict:
    """Train the pose LSTM on a frozen DrNet; write the LSTM model file and a metrics CSV (atomic)."""
    store = VideoStore(store_path)
    window = lstm_cfg.n_past + lstm_cfg.n_future
    if int(store.length.max()) < window:
        raise DrnetError(f"{store_path}: no clip has {window} frames (lstm.n_past + lstm.n_future); lower them")
    if lstm_cfg.batch_size % ctx.world_size:
        raise DrnetError(f"lstm.batch_size ({lstm_cfg.batch_size}) must be divisible by {ctx.world_size} processes")
    drnet, _ = load_model(drnet_path, kinds=("drnet", "ae"), device=ctx.device)
    drnet = drnet.to(ctx.dtype)
    drnet.requires_grad_(False)
    torch.manual_seed(seed)
    lstm = PoseLSTM(drnet.pose_dim, drnet.content_dim, lstm_model_cfg.hidden, lstm_model_cfg.layers,
                    normalize=drnet.normalize)
    lstm = lstm.to(ctx.device, ctx.dtype)
    opt = torch.optim.Adam(lstm.parameters(), lr=lstm_cfg.lr, betas=(lstm_cfg.beta1, 0.999))
    start, rows = resume_run(checkpoint_path, params_hash, resume, {"lstm": lstm}, {"lstm": opt})
    trained = DDP(lstm) if ctx.distributed else lstm

    if lstm_cfg.fresh_clips:  # a new clip for every item, from the store's source (MNIST)
        seq_len = int(store.attrs["seq_len"])
        dataset = FreshWindowDataset(source_from_store(store), seed, window)

        def plan(step: int):
            return fresh_window_plan(seq_len, lstm_cfg.batch_size, window, seed, step)
    else:
        dataset = WindowDataset(store, window)

        def plan(step: int):
            return window_plan(store.length, lstm_cfg.batch_size, window, seed, step)

    loader = DataLoader(dataset, num_workers=runtime.num_workers,
                        batch_sampler=StepBatchSampler(plan, start, lstm_cfg.steps, ctx.rank, ctx.world_size),
                        pin_memory=ctx.device.type == "cuda")
    total, count, step = torch.zeros((), device=ctx.device), 0, start
    bar = progress(total=lstm_cfg.steps, initial=start, desc="lstm", unit="step", disable=not ctx.is_main,
               dynamic_ncols=True, mininterval=1.0)
    for frames, _ in loader:
        x = ctx.to_input(frames)
        with ctx.autocast():
            poses, content = encode_window(drnet, x, lstm_cfg.n_past)
            loss = lstm_loss(trained, poses, content)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        total += loss.detach().float()
        count += 1
        if step % lstm_cfg.log_every == 0 or step == lstm_cfg.steps:
            mean = all_reduce_mean(total / count, ctx).item()
            rows.append({"step": step, "mse": round(mean, 8)})
            bar.set_postfix(mse=f"{mean:.5f}")
            total.zero_()
            count = 0
        bar.update(1)
        if ctx.is_main and (step % lstm_cfg.checkpoint_every == 0 or step == lstm_cfg.steps):
            ckpt.save_checkpoint(checkpoint_path, modules={"lstm": lstm}, optimizers={"lstm": opt}, step=step,
                                 params=params, params_hash=params_hash, extra={"metrics": rows})
    bar.close()
    barrier(ctx)
    if ctx.is_main:
        extra = {"kind": "lstm", "pose_dim": drnet.pose_dim, "content_dim": drnet.content_dim,
                 "hidden": lstm_model_cfg.hidden, "layers": lstm_model_cfg.layers,
                 "normalize": drnet.normalize, "n_past": lstm_cfg.n_past,
                 "n_future": lstm_cfg.n_future, "metrics": rows}
        ckpt.save_checkpoint(model_out, modules={"lstm": lstm}, optimizers={}, step=step, params=params,
                             params_hash=params_hash, extra=extra)
        with atomic_path(metrics_out) as tmp:
            pd.DataFrame(rows, columns=["step", "mse"]).to_csv(tmp, index=False)
    return {"steps": lstm_cfg.steps, "final_mse": rows[-1]["mse"] if rows else None}
