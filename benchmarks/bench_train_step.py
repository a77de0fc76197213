"""Train-step throughput: our configuration vs a plain eager fp32 baseline of the same architecture.

Both run side by side in one process on the same data. "ours" = channels_last + bf16 autocast (on CUDA, or on
a CPU with native bf16: avx512_bf16/AMX; what ``runtime.precision: bf16`` does in training) + (CUDA) fused
Adam + optional torch.compile; "baseline" = contiguous fp32 eager. Also reports achieved FLOP/s from
torch's FLOP counter. Usage: python -m benchmarks.bench_train_step [--width 64 --batch 100 --steps 10 --compile]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import write
from drnet.models import DrNet
from drnet.params import DrnetModel
from drnet.train.drnet_loop import discriminator_loss, generator_losses
from drnet.train.runtime import cpu_bf16_supported


def make_step(model: DrNet, channels_last: bool, autocast: torch.dtype | None, fused: bool):
    gen = torch.optim.Adam([p for m in model.generator_modules() for p in m.parameters()], lr=2e-3, fused=fused)
    disc = torch.optim.Adam(model.discriminator.parameters(), lr=2e-3, fused=fused)
    device = next(model.parameters()).device
    partner = None

    def step(x_t: torch.Tensor, x_tk: torch.Tensor) -> None:
        nonlocal partner
        b = x_t.shape[0]
        if partner is None:
            partner = torch.roll(torch.arange(b, device=device), 1)
        if channels_last:
            x_t, x_tk = (x.contiguous(memory_format=torch.channels_last) for x in (x_t, x_tk))
        ctx = torch.autocast(device.type, dtype=autocast) if autocast else torch.autocast(device.type, enabled=False)
        with ctx:
            pose = model.pose_encoder(torch.cat([x_t, x_tk]))[0]
            model.discriminator.requires_grad_(True)
            d_loss, _ = discriminator_loss(model.discriminator, pose[:b].detach(), pose[b:].detach(),
                                           pose[b:].detach()[partner])
        disc.zero_grad(set_to_none=True)
        d_loss.backward()
        disc.step()
        model.discriminator.requires_grad_(False)
        with ctx:
            loss = generator_losses(model, x_t, x_tk, pose).total(1.0, 0.1)
        gen.zero_grad(set_to_none=True)
        loss.backward()
        gen.step()

    return step


def bench(step, x_t, x_tk, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        step(x_t, x_tk)
    if x_t.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step(x_t, x_tk)
    if x_t.is_cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--fp32", action="store_true", help="no bf16 autocast in 'ours' (channels_last only)")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = DrnetModel(width=args.width)
    x_t = torch.rand(args.batch, 3, 64, 64, device=device)
    x_tk = torch.rand(args.batch, 3, 64, 64, device=device)
    results = {}
    for name, channels_last, autocast, fused, compiled in [
        ("baseline_fp32_eager", False, None, False, False),
        ("ours", True, torch.bfloat16 if (device.type == "cuda" or cpu_bf16_supported()) and not args.fp32 else None,
         device.type == "cuda", args.compile),
    ]:
        torch.manual_seed(0)
        model = DrNet(cfg, 3, 64).to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        if compiled:
            for attr in ("content_encoder", "pose_encoder", "decoder"):
                setattr(model, attr, torch.compile(getattr(model, attr)))
        step = make_step(model, channels_last, autocast, fused)
        seconds = bench(step, x_t, x_tk, args.steps, args.warmup)
        with FlopCounterMode(display=False) as counter:
            step(x_t, x_tk)
        flops = counter.get_total_flops()
        results[name] = {"seconds_per_step": seconds, "samples_per_s": args.batch / seconds,
                         "flops_per_step": flops, "achieved_tflops": flops / seconds / 1e12}
        print(f"{name:22s} {seconds * 1000:8.1f} ms/step  {args.batch / seconds:8.1f} pairs/s  "
              f"{flops / seconds / 1e12:.3f} TFLOP/s")
    ratio = results["baseline_fp32_eager"]["seconds_per_step"] / results["ours"]["seconds_per_step"]
    print(f"speed-up ours / baseline: {ratio:.2f}x (goal >= 1.5x)")
    write("train_step", {"args": vars(args), "device": str(device), "cpu_bf16": cpu_bf16_supported(),
                         "results": results, "speedup": ratio})


if __name__ == "__main__":
    main()
