"""Paper-scale cost, computed rather than measured (no GPU here): FLOPs, memory and disk per dataset.

For each dataset's DrNet at the paper-scale params: FLOPs of one training step (forward + backward, counted with
torch.utils.flop_counter on a batch of 2 and scaled to the batch size; backward counted, not assumed), the bytes
autograd saves for backward at the full batch (the activation memory of a step), parameter + Adam state bytes,
the same for the pose LSTM step (frozen encoders included), and the bytes of the HDF5 frame stores before
compression. Wall time assumes a sustained EFFECTIVE_TFLOPS (an assumption; say so when quoting it).

    python tools/estimate_paper_scale.py          # prints a Markdown table (README, "Paper scale")
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drnet.models import DrNet  # noqa: E402
from drnet.models.lstm import PoseLSTM  # noqa: E402
from drnet.params import DATASETS, load_params, section  # noqa: E402
from drnet.train.drnet import generator_losses  # noqa: E402

EFFECTIVE_TFLOPS = 10.0  # assumed sustained fp32 throughput of one data-centre GPU on these small convnets
CHANNELS = {"mnist": 3, "kth": 1, "norb": 1, "chairs": 3}
PROBE_BATCH = 2


def _saved_bytes(fn) -> int:
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return total


def drnet_step(cfg, channels: int, size: int, batch: int) -> dict:
    torch.manual_seed(0)
    model = DrNet(cfg.model, channels=channels, image_size=size)
    x_t, x_tk = torch.rand(PROBE_BATCH, channels, size, size), torch.rand(PROBE_BATCH, channels, size, size)

    def step():
        losses = generator_losses(model, x_t, x_tk)
        losses.total(cfg.train.sim_weight, cfg.train.adv_weight).backward()

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    saved = _saved_bytes(lambda: generator_losses(model, x_t, x_tk).rec)
    n_params = sum(p.numel() for p in model.parameters())
    scale = batch / PROBE_BATCH
    return {"flops": counter.get_total_flops() * scale, "activations": saved * scale, "params": n_params}


def lstm_step(cfg, drnet_cfg, channels: int, size: int) -> dict:
    model = DrNet(drnet_cfg.model, channels=channels, image_size=size).eval()
    lstm = PoseLSTM(drnet_cfg.model.pose_dim, drnet_cfg.model.content_dim, cfg.lstm_model.hidden,
                    cfg.lstm_model.layers)
    t = cfg.lstm.n_past + cfg.lstm.n_future
    frames = torch.rand(PROBE_BATCH, t, channels, size, size)
    counter = FlopCounterMode(display=False)
    with counter:
        with torch.no_grad():
            poses = model.encode_pose(frames.flatten(0, 1)).view(PROBE_BATCH, t, -1)
            content, _ = model.encode_content(frames[:, cfg.lstm.n_past - 1])
        pred = lstm(poses[:, :-1], content)
        torch.nn.functional.mse_loss(pred, poses[:, 1:]).backward()
    return {"flops": counter.get_total_flops() * cfg.lstm.batch_size / PROBE_BATCH,
            "params": sum(p.numel() for p in lstm.parameters())}


def store_frames(name: str, params: dict) -> int:
    d = params[name]["data"]
    if name == "mnist":
        return (d["train_sequences"] + d["test_sequences"]) * d["seq_len"]
    if name == "kth":
        return 2391 * 100  # 2391 subsequences (official file) x ~100 frames each: an estimate
    if name == "norb":
        return 2 * 24300  # small NORB, one camera: 24300 train + 24300 test images
    return d["procedural_models"] * d["azimuths"] * len(d["elevations"])


def main() -> int:
    torch.set_num_threads(2)
    params = load_params("params.yaml", "paper")
    print("| dataset | DrNet step GFLOP (batch) | DrNet steps | LSTM step GFLOP | LSTM steps | total PFLOP | "
          f"hours at {EFFECTIVE_TFLOPS:g} TFLOP/s | activations GiB | params+Adam MiB | store GiB (raw) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in DATASETS:
        cfg = section(params, name)
        size = params[name]["data"]["image_size"]
        channels = CHANNELS[name]
        d = drnet_step(cfg, channels, size, cfg.train.batch_size)
        total = d["flops"] * cfg.train.steps
        lstm_part = ""
        if hasattr(cfg, "lstm"):
            lstm = lstm_step(cfg, cfg, channels, size)
            total += lstm["flops"] * cfg.lstm.steps
            lstm_part = f"{lstm['flops'] / 1e9:.1f} | {cfg.lstm.steps}"
        else:
            lstm_part = "- | -"
        store = store_frames(name, params) * size * size * channels
        hours = total / (EFFECTIVE_TFLOPS * 1e12) / 3600
        adam = d["params"] * 4 * 3  # weights + two Adam moments, fp32
        print(f"| {name} | {d['flops'] / 1e9:.1f} ({cfg.train.batch_size}) | {cfg.train.steps} | {lstm_part} | "
              f"{total / 1e15:.1f} | {hours:.1f} | {d['activations'] / 2**30:.2f} | {adam / 2**20:.0f} | "
              f"{store / 2**30:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
