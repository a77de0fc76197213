"""DrNet training (paper Section 3, authors' schedule): the losses, the step, and ``train_drnet``.

Each step, on a batch of frame pairs (x_t, x_t+k) from distinct clips:
1. scene discriminator C: BCE on pose pairs, same clip (target 1) vs different clip (target 0), with the
   encoders held fixed (poses detached);
2. content encoder Ec, pose encoder Ep and decoder D, with C held fixed:
   rec = ||D(Ec(x_t), Ep(x_t+k)) - x_t+k||^2, sim = ||Ec(x_t) - Ec(x_t+k)||^2 (x_t+k's content the target),
   adv = BCE(C(Ep(x_t), Ep(x_t+k)), 0.5)  (maximum entropy on same-clip pairs),
   loss = rec + sim_weight * sim + adv_weight * adv.

As in the authors' code, each frame set goes through an encoder in its own forward pass (BatchNorm statistics
never mix x_t with x_t+k), and gradients flow only where the losses use them: Ec(x_t) and Ep(x_t+k) with
gradient, Ec(x_t+k) (the similarity target) and Ep(x_t) without, so the adversarial gradient reaches the pose
encoder through x_t+k's pose alone. Ep(x_t+k) is computed once: detached for C's update, then (C now fixed)
with gradient for the adversarial and reconstruction terms. The loop around the step is ``drnet.train.loop``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import Dataset

from drnet.data.mnist.bouncing import source_from_store
from drnet.data.sampling import FreshPairDataset, PairDataset, different_clip_partner, fresh_pair_plan, pair_plan
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.models import DrNet
from drnet.params import DrnetModel, DrnetTrain
from drnet.runtime.context import Context, widen
from drnet.runtime.global_bn import global_batch_norm
from drnet.train.loop import Run, Step, train_loop

METRICS = ("rec", "sim", "adv", "disc_loss", "disc_acc")


@dataclass
class Losses:
    rec: torch.Tensor
    sim: torch.Tensor
    adv: torch.Tensor

    def total(self, sim_weight: float, adv_weight: float) -> torch.Tensor:
        return self.rec + sim_weight * self.sim + adv_weight * self.adv


def discriminator_loss(discriminator: nn.Module, pose_t: torch.Tensor, pose_tk: torch.Tensor,
                       pose_other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """BCE of C on same-clip pairs (target 1) and different-clip pairs (target 0); returns (loss, accuracy).

    pose_t, pose_tk: [B, P] (detach them to hold the encoder fixed); pose_other: [B, P], for each item the
    pose of an item of another clip (``partner_poses``).
    """
    b = pose_t.shape[0]
    logits = discriminator(torch.cat([pose_t, pose_t]), torch.cat([pose_tk, pose_other]))
    logits = widen(logits)
    target = torch.cat([torch.ones_like(logits[:b]), torch.zeros_like(logits[b:])])
    loss = F.binary_cross_entropy_with_logits(logits, target)
    acc = ((logits > 0).float() == target).float().mean()
    return loss, acc


def generator_losses(model: DrNet, x_t: torch.Tensor, x_tk: torch.Tensor,
                     poses: tuple[torch.Tensor, torch.Tensor] | None = None,
                     modules: tuple[nn.Module, nn.Module, nn.Module] | None = None) -> Losses:
    """Reconstruction, similarity and adversarial losses for x_t, x_t+k float [B, C, H, W].

    ``poses`` = (Ep(x_t) without gradient, Ep(x_t+k) with gradient) [B, P] each, when already computed (the
    training step computes them once for C's update and this loss). ``modules`` optionally replaces (Ec, Ep, D)
    by DDP-wrapped versions. C (``model.discriminator``) is used as is: freeze it (``requires_grad_(False)``)
    to hold it fixed.
    """
    content_encoder, pose_encoder, decoder = modules or (model.content_encoder, model.pose_encoder, model.decoder)
    p_t, p_tk = poses if poses is not None else encode_poses(pose_encoder, x_t, x_tk)
    c_t, skips = content_encoder(x_t)
    with torch.no_grad():
        c_tk = content_encoder(x_tk)[0]  # the similarity target (authors: the other frame's content, detached)
    rec = decoder(c_t, p_tk, skips)
    logits = model.discriminator(p_t.detach(), p_tk)
    return Losses(
        rec=F.mse_loss(widen(rec), widen(x_tk)),
        sim=F.mse_loss(widen(c_t), widen(c_tk)),
        adv=F.binary_cross_entropy_with_logits(widen(logits), torch.full_like(widen(logits), 0.5)),
    )


def encode_poses(pose_encoder: nn.Module, x_t: torch.Tensor, x_tk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Ep(x_t) without gradient, Ep(x_t+k) with gradient), each frame set in its own forward pass."""
    with torch.no_grad():
        p_t = pose_encoder(x_t)[0]
    return p_t, pose_encoder(x_tk)[0]


def partner_poses(pose_tk: torch.Tensor, seqs: torch.Tensor, generator: torch.Generator,
                  ctx: Context) -> torch.Tensor:
    """For each local item, the (detached) x_t+k pose of a different-clip item of the *global* batch.

    The pairing is drawn over the global batch with a rank-independent generator, so a torchrun job pairs
    exactly as one process holding the whole batch would; under torchrun the poses and clip ids are
    all-gathered (rank r holds global rows r, r + W, r + 2W, ..., as ``StepBatchSampler`` deals them).
    """
    if not ctx.distributed:
        return pose_tk[different_clip_partner(seqs, generator)]
    w, b = ctx.world_size, pose_tk.shape[0]
    seqs = seqs.to(pose_tk.device)  # NCCL gathers device tensors only
    gathered_seqs = [torch.empty_like(seqs) for _ in range(w)]
    dist.all_gather(gathered_seqs, seqs.contiguous())
    gathered_pose = [torch.empty_like(pose_tk) for _ in range(w)]
    dist.all_gather(gathered_pose, pose_tk.contiguous())
    global_seqs = torch.stack(gathered_seqs, 1).reshape(-1).cpu()  # row i*W + r came from rank r's item i
    global_pose = torch.stack(gathered_pose, 1).reshape(w * b, -1)
    partner = different_clip_partner(global_seqs, generator).to(pose_tk.device)
    mine = torch.arange(b, device=pose_tk.device) * w + ctx.rank
    return global_pose[partner[mine]]


def pair_source(store: VideoStore, batch_size: int, max_step: int | None, fresh_clips: bool,
                seed: int) -> tuple[Dataset, Callable[[int], np.ndarray]]:
    """The dataset and batch plan of DrNet (and AE) training: the store's clips, or fresh clips generated from
    the store's source (``train.fresh_clips``, MNIST)."""
    if fresh_clips:
        seq_len = store.int_attr("seq_len")
        return (FreshPairDataset(source_from_store(store), seed),
                lambda step: fresh_pair_plan(seq_len, batch_size, max_step, seed, step))
    if batch_size > len(store):
        raise DrnetError(f"batch_size ({batch_size}) is larger than the {len(store)} clips in {store.path}; each "
                         f"batch draws distinct clips: lower the batch size or use more data")
    return PairDataset(store), lambda step: pair_plan(store.length, batch_size, max_step, seed, step)


class DrnetStep(Step):
    """One DrNet update on a loader batch (x_t uint8 [B, H, W, C], x_t+k uint8 [B, H, W, C], clip ids [B]):
    C on the current poses with the encoders held fixed, then Ec, Ep and D against the updated C, held fixed.

    Two Adam optimisers (generator: Ec, Ep, D; discriminator: C); ``fused``: fused Adam (default: on CUDA).
    ``compile``: torch.compile the three conv nets (``runtime.compile``); checkpoints hold the plain modules.
    """

    name, metrics = "drnet", METRICS

    def __init__(self, model: DrNet, cfg: DrnetTrain, ctx: Context, seed: int, compile: bool = False,
                 fused: bool | None = None):
        betas = (cfg.beta1, 0.999)
        fused = ctx.device.type == "cuda" if fused is None else fused
        gen_params = [p for m in model.generator_modules() for p in m.parameters()]
        self.opt_gen = torch.optim.Adam(gen_params, lr=cfg.lr, betas=betas, fused=fused)
        self.opt_disc = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=betas, fused=fused)
        super().__init__({"content_encoder": model.content_encoder, "pose_encoder": model.pose_encoder,
                          "decoder": model.decoder, "discriminator": model.discriminator},
                         {"generator": self.opt_gen, "discriminator": self.opt_disc})
        self.model, self.cfg, self.ctx, self.seed, self.compile = model, cfg, ctx, seed, compile
        self.nets = (model.content_encoder, model.pose_encoder, model.decoder, model.discriminator)

    def start(self) -> None:
        nets, ctx = self.nets, self.ctx
        if ctx.distributed:  # batch statistics over the global batch, so N ranks train as one process would
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            nets = tuple(DDP(global_batch_norm(m, ctx.device), device_ids=ids) for m in nets)
        if self.compile:  # the three conv nets
            nets = (*(torch.compile(m) for m in nets[:3]), nets[3])
        self.nets = nets

    def __call__(self, batch, step: int) -> torch.Tensor:
        x_t, x_tk, seqs = batch
        ctx, model = self.ctx, self.model
        content_encoder, pose_encoder, decoder, discriminator = self.nets
        x_t, x_tk = ctx.to_input(x_t), ctx.to_input(x_tk)
        lr = self.cfg.lr_at(step)  # set every step, so a resumed run follows the same schedule
        for opt in (self.opt_gen, self.opt_disc):
            for group in opt.param_groups:
                group["lr"] = lr
        with ctx.autocast():
            p_t, p_tk = encode_poses(pose_encoder, x_t, x_tk)
        # 1. C on the current poses, with the encoders held fixed (poses detached).
        model.discriminator.requires_grad_(True)
        other = partner_poses(p_tk.detach(), seqs, torch.Generator().manual_seed(self.seed * 1_000_003 + step * 101),
                              ctx)
        with ctx.autocast():
            disc_loss, disc_acc = discriminator_loss(discriminator, p_t, p_tk.detach(), other)
        self.opt_disc.zero_grad(set_to_none=True)
        disc_loss.backward()
        self.opt_disc.step()
        # 2. Ec, Ep, D against the updated C, held fixed.
        model.discriminator.requires_grad_(False)
        with ctx.autocast():
            losses = generator_losses(model, x_t, x_tk, (p_t, p_tk), (content_encoder, pose_encoder, decoder))
            loss = losses.total(self.cfg.sim_weight, self.cfg.adv_weight)
        self.opt_gen.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_gen.step()
        return torch.stack([losses.rec, losses.sim, losses.adv, disc_loss, disc_acc]).detach().float()

    def postfix(self, row: dict) -> dict[str, str]:
        return {"rec": f"{row['rec']:.4f}", "sim": f"{row['sim']:.4f}", "C_acc": f"{row['disc_acc']:.2f}"}


def train_drnet(model_cfg: DrnetModel, cfg: DrnetTrain, run: Run) -> dict:
    """Train DrNet on the video store ``run.store``; write the model file (kind ``drnet``), the checkpoint and
    the metrics CSV (``drnet.train.loop``); return the summary (final losses)."""
    ctx = run.ctx
    store = VideoStore(run.store)
    dataset, plan = pair_source(store, cfg.batch_size, cfg.max_step, cfg.fresh_clips, run.seed)
    if cfg.batch_size % ctx.world_size:
        raise DrnetError(f"train.batch_size ({cfg.batch_size}) must be divisible by the number of processes "
                         f"({ctx.world_size})")
    h, w, c = store.frame_shape
    torch.manual_seed(run.seed)
    model = DrNet(model_cfg, channels=c, image_size=h).to(ctx.device, ctx.dtype)
    if ctx.channels_last:
        model = model.to(memory_format=torch.channels_last)
    step = DrnetStep(model, cfg, ctx, run.seed, compile=run.runtime.compile)
    model.train()

    def model_file(rows: list[dict]) -> dict:
        return {"kind": "drnet", "model": model_cfg.model_dump(), "channels": c, "image_size": h,
                "data": {"source": store.attrs.get("source"), "synthetic": store.synthetic,
                         "frames_sha256": store.attrs.get("frames_sha256")}, "metrics": rows}

    return train_loop(step, dataset, plan, cfg, run, model_file)
