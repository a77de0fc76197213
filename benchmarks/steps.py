"""The two DrNet train steps the benchmarks compare, built from the same network classes (``drnet.models``).

``reference_step`` does exactly the work of one iteration of the authors' drnet-py ``train_drnet.py`` loop (read,
never copied), the same for every dataset (only the networks differ: params.yaml's model per dataset; the
decoder takes the content encoder's skips where it is a U-Net, none otherwise): per batch of B clips with 4 frames
each (x0..x3),
  1. scene discriminator: Ep(x0) and Ep(x1) in grad mode, detached (the graph is built, then dropped), C on B
     rows (half the second poses permuted), BCE, backward, Adam step of C;
  2. main update: Ec(x0) with gradient, Ec(x1) in grad mode then detached (similarity target), Ep(x2) with
     gradient, Ep(x3) in grad mode then detached, D(Ec(x0), Ep(x2)), C on (Ep(x2), Ep(x3)); backward through
     Ec, Ep, D and C (C's parameters still require grad there), Adam steps of Ec, Ep and D (three optimisers).
  fp32 eager; the frames arrive as the authors' ``normalize_data`` leaves them: float [T, B, C, H, W] views of
  a [B, T, H, W, C] batch (channels-last strides). The encoders' heads and the decoders' first layers run as the
  convolutions the authors' code runs (``matmul_shortcut = False``; ours computes them as matrix products).

``our_step`` is the training step itself, ``drnet.train.drnet.DrnetStep``, on one batch (uint8 frame pairs from
the loader, ``Context.to_input``, Ep(x_t) under no_grad, Ep(x_t+k) once for C and the generator, Ec(x_t+k) under
no_grad, C frozen in the generator update, two Adam optimisers), with the runtime levers of ``Context``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from drnet.models import DrNet
from drnet.params import DrnetModel, DrnetTrain, load_params, section
from drnet.runtime.context import Context
from drnet.train.drnet import DrnetStep


@dataclass(frozen=True)
class Spec:
    """A dataset's paper-scale model and frame format (from params.yaml, variant 'paper')."""

    dataset: str
    model: DrnetModel
    channels: int
    image_size: int
    lr: float
    beta1: float
    sim_weight: float
    adv_weight: float
    batch_size: int = 100


# Frame channels of each dataset's store, as its builder writes them (frame_shape (H, W, C)): MNIST 2 digits in
# colour channels (drnet/data/mnist/build.py), KTH grey (drnet/data/kth/build.py), small NORB grey
# (drnet/data/norb/build.py), chairs colour renders (drnet/data/chairs/stores.py). H = W = params data.image_size.
CHANNELS = {"mnist": 3, "kth": 1, "norb": 1, "chairs": 3}


def spec(dataset: str, image_size: int | None = None, **model_overrides) -> Spec:
    """``dataset`` in ``CHANNELS`` (mnist, kth, norb, chairs): its params.yaml model, frame size and train batch
    (``model_overrides`` e.g. width=8 for tiny runs)."""
    if dataset not in CHANNELS:
        raise ValueError(f"dataset must be one of {', '.join(CHANNELS)}, got {dataset!r}")
    cfg = section(load_params(), dataset)
    return Spec(dataset, cfg.model.model_copy(update=model_overrides), CHANNELS[dataset],
                image_size or cfg.data.image_size, cfg.train.lr, cfg.train.beta1, cfg.train.sim_weight,
                cfg.train.adv_weight, cfg.train.batch_size)


@dataclass
class Batch:
    """One batch in both steps' input formats: uint8 clips [B, 4, H, W, C] (x0..x3), or only our loader's pairs."""

    clips: torch.Tensor | None = None
    loader_pairs: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def from_pairs(cls, x_t: torch.Tensor, x_tk: torch.Tensor, seqs: torch.Tensor) -> Batch:
        return cls(loader_pairs=(x_t, x_tk, seqs))

    @property
    def authors(self) -> torch.Tensor:
        """float [4, B, C, H, W] in [0, 1], channels-last strided (drnet-py ``utils.normalize_data``)."""
        return self.clips.float().div_(255).permute(1, 0, 4, 2, 3)

    @property
    def pairs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x_t uint8 [B, H, W, C], x_t+k uint8 [B, H, W, C], clip ids int64 [B]): what our loader yields."""
        if self.loader_pairs is not None:
            return self.loader_pairs
        return self.clips[:, 0], self.clips[:, 2], torch.arange(self.clips.shape[0])


def make_batch(s: Spec, batch: int, seed: int = 0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return Batch(torch.randint(0, 256, (batch, 4, s.image_size, s.image_size, s.channels), dtype=torch.uint8,
                               generator=g))


def build_model(s: Spec, device: torch.device, channels_last: bool = False, seed: int = 0) -> DrNet:
    torch.manual_seed(seed)
    model = DrNet(s.model, channels=s.channels, image_size=s.image_size).to(device)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def reference_step(s: Spec, device: torch.device, seed: int = 0) -> tuple[DrNet, Callable[[Batch], None]]:
    """The authors' per-iteration work (module docstring); returns (model, step(batch))."""
    model = build_model(s, device, seed=seed)
    for m in model.modules():  # the authors' layers are convolutions (drnet.models.heads)
        if hasattr(m, "matmul_shortcut"):
            m.matmul_shortcut = False
    ec, ep, dec, disc = model.content_encoder, model.pose_encoder, model.decoder, model.discriminator
    betas = (s.beta1, 0.999)
    opt_ec, opt_ep, opt_d, opt_c = (torch.optim.Adam(m.parameters(), lr=s.lr, betas=betas)
                                    for m in (ec, ep, dec, disc))
    cache: dict[int, torch.Tensor] = {}

    def step(batch: Batch) -> None:
        key = id(batch)
        if key not in cache:  # the authors' loader hands over float frames; converting them is not step work
            cache.clear()
            cache[key] = batch.authors.to(device)
        x = cache[key]
        b = x.shape[1]
        half = b // 2
        # 1. scene discriminator
        disc.zero_grad()
        h1 = ep(x[0])[0].detach()
        h2 = ep(x[1])[0].detach()
        h2[:half] = h2[torch.randperm(half, device=device)]
        target = torch.cat([torch.ones(half, device=device), torch.zeros(b - half, device=device)])
        bce = F.binary_cross_entropy_with_logits(disc(h1, h2), target)
        bce.backward()
        opt_c.step()
        # 2. Ec, Ep, D (C's gradient is computed too, as in the authors' code, and discarded next step)
        ec.zero_grad()
        ep.zero_grad()
        dec.zero_grad()
        c1, skips = ec(x[0])
        c2 = ec(x[1])[0].detach()
        p1 = ep(x[2])[0]
        p2 = ep(x[3])[0].detach()
        rec = dec(c1, p1, skips)
        logits = disc(p1, p2)
        loss = (F.mse_loss(rec, x[2]) + s.sim_weight * F.mse_loss(c1, c2)
                + s.adv_weight * F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 0.5)))
        loss.backward()
        opt_ec.step()
        opt_ep.step()
        opt_d.step()

    return model, step


def our_step(s: Spec, ctx: Context, compile: bool = False, seed: int = 0,
             fused: bool | None = None) -> tuple[DrNet, Callable[[Batch], None]]:
    """One iteration of ``train_drnet``'s step (``DrnetStep``) under ``ctx`` (+ ``runtime.compile``); (model,
    step(batch)). ``fused``: fused Adam (default: on CUDA only, as in training)."""
    model = build_model(s, ctx.device, ctx.channels_last, seed)
    cfg = DrnetTrain(steps=1, lr=s.lr, beta1=s.beta1, sim_weight=s.sim_weight, adv_weight=s.adv_weight)
    drnet_step = DrnetStep(model, cfg, ctx, seed, compile=compile, fused=fused)
    drnet_step.start()
    counter = {"step": 0}

    def step(batch: Batch) -> None:
        drnet_step(batch.pairs, counter["step"])
        counter["step"] += 1

    return model, step


def count_flops(step: Callable[[Batch], None], batch: Batch) -> int:
    """FLOPs of one step (forward + backward; convolutions and matrix products), by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step(batch)
    return int(counter.get_total_flops())
