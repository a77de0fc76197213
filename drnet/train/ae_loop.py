"""The AE-LSTM baseline (paper Section 4.3): train the single-encoder autoencoder on frame pairs.

The trained file (kind ``ae``) loads as an ``AeFrameModel``, the autoencoder behind the DrNet interface.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

from drnet import checkpoint as ckpt
from drnet.data.sampling import PairDataset, StepBatchSampler, pair_plan
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.io import atomic_path
from drnet.models.autoencoder import AutoEncoder
from drnet.progress import progress
from drnet.train.global_bn import global_batch_norm
from drnet.train.resume import resume as resume_run
from drnet.train.runtime import Context, all_reduce_mean, barrier, widen

log = logging.getLogger(__name__)


def train_ae(*, cfg, max_step: int, runtime, store_path: str | Path, model_out: str | Path,
             checkpoint_path: str | Path, metrics_out: str | Path, seed: int, params: dict, params_hash: str,
             ctx: Context, width: int, resume: str = "auto") -> dict:
    """Train the baseline autoencoder (``cfg``: params AeBaseline) on pairs (x_t, x_t+k); resumable."""
    store = VideoStore(store_path)
    if cfg.batch_size > len(store):
        raise DrnetError(f"batch_size ({cfg.batch_size}) is larger than the {len(store)} clips in {store_path}; "
                         f"each batch draws distinct clips: lower the batch size or use more data")
    h, _, c = store.frame_shape
    torch.manual_seed(seed)
    ae = AutoEncoder(cfg.encoder, cfg.latent_dim, c, width, h).to(ctx.device, ctx.dtype)
    opt = torch.optim.Adam(ae.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    start, rows = resume_run(checkpoint_path, params_hash, resume, {"ae": ae}, {"ae": opt})
    trained = DDP(global_batch_norm(ae, ctx.device)) if ctx.distributed else ae  # global-batch BN statistics

    def plan(step: int):
        return pair_plan(store.length, cfg.batch_size, max_step, seed, step)

    loader = DataLoader(PairDataset(store), num_workers=runtime.num_workers,
                        batch_sampler=StepBatchSampler(plan, start, cfg.steps, ctx.rank, ctx.world_size))
    total, count, step = torch.zeros((), device=ctx.device), 0, start
    log_every = max(1, cfg.steps // 100)
    bar = progress(total=cfg.steps, initial=start, desc="ae", unit="step", disable=not ctx.is_main, mininterval=1.0)
    ae.train()
    for x_t, x_tk, _ in loader:
        x_t, x_tk = ctx.to_input(x_t), ctx.to_input(x_tk)
        with ctx.autocast():
            loss = _ddp_loss(trained, x_t, x_tk)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        total += loss.detach().float()
        count += 1
        if step % log_every == 0 or step == cfg.steps:
            rows.append({"step": step, "rec": round(all_reduce_mean(total / count, ctx).item(), 6)})
            bar.set_postfix(rec=f"{rows[-1]['rec']:.4f}")
            total.zero_()
            count = 0
        bar.update(1)
        if ctx.is_main and (step % 500 == 0 or step == cfg.steps):
            ckpt.save_checkpoint(checkpoint_path, modules={"ae": ae}, optimizers={"ae": opt}, step=step,
                                 params=params, params_hash=params_hash, extra={"metrics": rows})
    bar.close()
    barrier(ctx)
    if ctx.is_main:
        extra = {"kind": "ae", "encoder": cfg.encoder, "latent_dim": cfg.latent_dim, "channels": c,
                 "image_size": h, "width": width, "metrics": rows,
                 "data": {"source": store.attrs.get("source"), "synthetic": store.synthetic}}
        ckpt.save_checkpoint(model_out, modules={"ae": ae}, optimizers={}, step=step, params=params,
                             params_hash=params_hash, extra=extra)
        with atomic_path(metrics_out) as tmp:
            pd.DataFrame(rows, columns=["step", "rec"]).to_csv(tmp, index=False)
    return {"steps": cfg.steps, "final_rec": rows[-1]["rec"] if rows else None}


def _ddp_loss(model: nn.Module, x_t: torch.Tensor, x_tk: torch.Tensor) -> torch.Tensor:
    """MSE of x_t+k rebuilt from latent(x_t+k) and skips(x_t), through DDP's forward when wrapped."""
    return nn.functional.mse_loss(widen(model(x_t, x_tk)), widen(x_tk))
