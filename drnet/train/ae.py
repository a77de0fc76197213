"""The AE-LSTM baseline (paper Section 4.3): train the single-encoder autoencoder on frame pairs.

The autoencoder (``drnet.models.autoencoder``) reconstructs x_t+k from its latent and the skips of x_t, with an
MSE loss, on the same pairs as DrNet; the loop around the step is ``drnet.train.loop``. The trained file
(kind ``ae``) loads as an ``AeFrameModel``, the autoencoder behind the DrNet interface.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from drnet.data.store import VideoStore
from drnet.models.autoencoder import AutoEncoder
from drnet.params import AeBaseline
from drnet.runtime.context import Context, widen
from drnet.runtime.global_bn import global_batch_norm
from drnet.train.drnet import pair_source
from drnet.train.loop import Run, Step, train_loop


class AeStep(Step):
    """One Adam step of the autoencoder on a loader batch (x_t, x_t+k uint8 [B, H, W, C], clip ids)."""

    name, metrics = "ae", ("rec",)

    def __init__(self, ae: AutoEncoder, cfg: AeBaseline, ctx: Context):
        self.opt = torch.optim.Adam(ae.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
        super().__init__({"ae": ae}, {"ae": self.opt})
        self.ae, self.trained, self.ctx = ae, ae, ctx

    def start(self) -> None:
        if self.ctx.distributed:  # global-batch BN statistics
            self.trained = DDP(global_batch_norm(self.ae, self.ctx.device))
        self.ae.train()

    def __call__(self, batch, step: int) -> torch.Tensor:
        x_t, x_tk, _ = batch
        x_t, x_tk = self.ctx.to_input(x_t), self.ctx.to_input(x_tk)
        with self.ctx.autocast():
            loss = _ddp_loss(self.trained, x_t, x_tk)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach().float().reshape(1)


def _ddp_loss(model: nn.Module, x_t: torch.Tensor, x_tk: torch.Tensor) -> torch.Tensor:
    """MSE of x_t+k rebuilt from latent(x_t+k) and skips(x_t), through DDP's forward when wrapped."""
    return nn.functional.mse_loss(widen(model(x_t, x_tk)), widen(x_tk))


def train_ae(cfg: AeBaseline, max_step: int | None, width: int, run: Run) -> dict:
    """Train the baseline autoencoder on pairs (x_t, x_t+k), k <= ``max_step`` (DrNet's ``train.max_step``),
    conv width ``width`` (DrNet's ``model.width``); write the model file (kind ``ae``), checkpoint and CSV."""
    store = VideoStore(run.store)
    dataset, plan = pair_source(store, cfg.batch_size, max_step, False, run.seed)
    h, _, c = store.frame_shape
    torch.manual_seed(run.seed)
    ae = AutoEncoder(cfg.encoder, cfg.latent_dim, c, width, h).to(run.ctx.device, run.ctx.dtype)

    def model_file(rows: list[dict]) -> dict:
        return {"kind": "ae", "encoder": cfg.encoder, "latent_dim": cfg.latent_dim, "channels": c,
                "image_size": h, "width": width, "metrics": rows,
                "data": {"source": store.attrs.get("source"), "synthetic": store.synthetic}}

    return train_loop(AeStep(ae, cfg, run.ctx), dataset, plan, cfg, run, model_file)
