"""Pose-LSTM training (paper Section 3.1): the loss, the step, and ``train_lstm``.

The trained DrNet is frozen. For a window of n_past + n_future frames, poses come from Ep, the content vector
from the last observed frame (x[n_past - 1]); the LSTM is trained with teacher forcing to predict pose(t) from
pose(t - 1) and the content, for t = 1 .. n_past + n_future - 1 (authors' schedule), with an MSE loss. The
frozen model is a DrNet or the autoencoder baseline (``AeFrameModel``); the loop is ``drnet.train.loop``.

With ``lstm.encode_once`` every frame of the store is encoded once before training (the frozen model is in eval
mode, so a frame's pose and content do not depend on its batch) and the steps read the codes: the same windows
and targets, without an encoder pass per step (most of a KTH LSTM step's time is encoding its 20 x B frames).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import Dataset

from drnet.checkpoint import load_model
from drnet.data.mnist.bouncing import source_from_store
from drnet.data.sampling import FreshWindowDataset, WindowDataset, fresh_window_plan, window_plan
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.models.lstm import PoseLSTM
from drnet.params import LstmModel, LstmTrain
from drnet.runtime.context import Context, widen
from drnet.train.loop import Run, Step, train_loop


@torch.no_grad()
def encode_window(model, frames: torch.Tensor, n_past: int) -> tuple[torch.Tensor, torch.Tensor]:
    """frames float [B, T, C, H, W] -> (poses [B, T, P], content of frame n_past - 1 [B, Dc])."""
    b, t = frames.shape[:2]
    poses = model.encode_pose(frames.flatten(0, 1)).view(b, t, -1)
    content, _ = model.encode_content(frames[:, n_past - 1])
    return poses, content


def lstm_loss(lstm: torch.nn.Module, poses: torch.Tensor, content: torch.Tensor,
              scale: torch.Tensor | float = 1.0) -> torch.Tensor:
    """Teacher-forced MSE of predicted pose(t) vs Ep(x_t) for t = 1 .. T-1. poses [B, T, P], content [B, Dc];
    errors divided by ``scale`` (the LSTM's ``loss_scale()``: its standardisation, or 1)."""
    pred = lstm(poses[:, :-1], content)
    return F.mse_loss(widen(pred) / scale, widen(poses[:, 1:]) / scale)


class LstmStep(Step):
    """One teacher-forced Adam step of the LSTM on a loader batch (windows uint8 [B, T, H, W, C], clip ids), poses
    and content from the frozen model."""

    name, metrics, digits = "lstm", ("mse",), 8

    def __init__(self, frozen: nn.Module, lstm: PoseLSTM, cfg: LstmTrain, ctx: Context):
        self.opt = torch.optim.Adam(lstm.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
        super().__init__({"lstm": lstm}, {"lstm": self.opt})
        self.frozen, self.lstm, self.trained, self.n_past, self.ctx = frozen, lstm, lstm, cfg.n_past, ctx

    def start(self) -> None:
        if self.ctx.distributed:
            self.trained = DDP(self.lstm)

    def __call__(self, batch, step: int) -> torch.Tensor:
        if len(batch) == 3:  # codes encoded once (``EncodedWindowDataset``): poses [B, T, P], content [B, Dc]
            poses, content = (v.to(self.ctx.device, self.ctx.dtype) for v in batch[:2])
        else:
            with self.ctx.autocast():
                poses, content = encode_window(self.frozen, self.ctx.to_input(batch[0]), self.n_past)
        with self.ctx.autocast():
            loss = lstm_loss(self.trained, poses, content, self.lstm.loss_scale())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach().float().reshape(1)

    def postfix(self, row: dict) -> dict[str, str]:
        return {"mse": f"{row['mse']:.5f}"}


class EncodedWindowDataset(Dataset):
    """Item (seq, t0) -> (poses float [T, P], content float [Dc] of frame t0 + n_past - 1, seq), read from the
    store's frames encoded once (``encode_store``): what ``encode_window`` computes for the same window."""

    def __init__(self, store: VideoStore, poses: torch.Tensor, contents: torch.Tensor, window: int, n_past: int):
        self.offsets = np.concatenate([[0], np.cumsum(store.length)[:-1]]).astype(np.int64)
        self.poses, self.contents, self.window, self.n_past = poses, contents, window, n_past

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, item: tuple[int, int]):
        seq, t0 = item
        first = int(self.offsets[seq]) + t0
        return self.poses[first:first + self.window], self.contents[first + self.n_past - 1], seq


@torch.no_grad()
def encode_store(model, store: VideoStore, ctx: Context, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Every frame of ``store``, sequence after sequence, through the frozen ``model``: (poses float32 [N, P],
    contents float32 [N, Dc]) on the CPU, N = the store's frame count."""
    poses, contents = [], []
    for seq in range(len(store)):
        length = int(store.length[seq])
        for t0 in range(0, length, chunk):
            x = ctx.to_input(torch.from_numpy(store.frames(seq, t0, min(chunk, length - t0))))
            with ctx.autocast():
                poses.append(model.encode_pose(x).float().cpu())
                contents.append(model.encode_content(x)[0].float().cpu())
    return torch.cat(poses), torch.cat(contents)


@torch.no_grad()
def fit_standardization(lstm: PoseLSTM, frozen: nn.Module, dataset, plan, ctx: Context, batches: int = 4) -> None:
    """Set the LSTM's pose mean/std from the frozen encoder's poses of the first ``batches`` planned batches."""
    poses = []
    for step in range(batches):
        items = [dataset[tuple(int(v) for v in row)][0] for row in plan(step)]
        if isinstance(dataset, EncodedWindowDataset):
            poses.append(torch.cat(items).to(ctx.device))
            continue
        frames = ctx.to_input(torch.stack(items))
        poses.append(frozen.encode_pose(frames.flatten(0, 1)).float())  # poses only: no content pass
    lstm.fit_standardization(torch.cat(poses))


def train_lstm(drnet_path: str | Path, model_cfg: LstmModel, cfg: LstmTrain, run: Run) -> dict:
    """Train the pose LSTM on the frozen DrNet (or autoencoder) of ``drnet_path``; write the LSTM model file
    (kind ``lstm``), checkpoint and metrics CSV (``drnet.train.loop``); return the summary (final MSE)."""
    ctx = run.ctx
    store = VideoStore(run.store)
    window = cfg.n_past + cfg.n_future
    if int(store.length.max()) < window:
        raise DrnetError(f"{run.store}: no clip has {window} frames (lstm.n_past + lstm.n_future); lower them")
    if cfg.batch_size % ctx.world_size:
        raise DrnetError(f"lstm.batch_size ({cfg.batch_size}) must be divisible by {ctx.world_size} processes")
    frozen, _ = load_model(drnet_path, kinds=("drnet", "ae"), device=ctx.device)
    frozen = frozen.to(ctx.dtype)
    frozen.requires_grad_(False)
    torch.manual_seed(run.seed)
    lstm = PoseLSTM(frozen.pose_dim, frozen.content_dim, model_cfg.hidden, model_cfg.layers,
                    normalize=frozen.normalize, standardize=model_cfg.standardize)
    lstm = lstm.to(ctx.device, ctx.dtype)
    step = LstmStep(frozen, lstm, cfg, ctx)

    seed = run.seed
    if cfg.fresh_clips and cfg.encode_once:
        raise DrnetError("lstm.encode_once encodes a store's frames once, but lstm.fresh_clips draws new clips every "
                         "step: set one of them to false")
    if cfg.fresh_clips:  # a new clip for every item, from the store's source (MNIST)
        seq_len = store.int_attr("seq_len")
        dataset = FreshWindowDataset(source_from_store(store), seed, window)

        def plan(step: int):
            return fresh_window_plan(seq_len, cfg.batch_size, window, seed, step)
    else:
        dataset = (EncodedWindowDataset(store, *encode_store(frozen, store, ctx), window, cfg.n_past)
                   if cfg.encode_once else WindowDataset(store, window))

        def plan(step: int):
            return window_plan(store.length, cfg.batch_size, window, seed, step)

    if model_cfg.standardize:  # from the first planned batches: the same on every rank and after a resume
        fit_standardization(lstm, frozen, dataset, plan, ctx)

    def model_file(rows: list[dict]) -> dict:
        return {"kind": "lstm", "pose_dim": frozen.pose_dim, "content_dim": frozen.content_dim,
                "hidden": model_cfg.hidden, "layers": model_cfg.layers, "normalize": frozen.normalize,
                "standardize": model_cfg.standardize,
                "n_past": cfg.n_past, "n_future": cfg.n_future, "metrics": rows}

    return train_loop(step, dataset, plan, cfg, run, model_file)
