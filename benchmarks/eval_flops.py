"""Evaluation stages at paper scale: FLOPs of their model work, and the time that is on a CPU core pair and a GPU.

Each evaluation stage's model work at paper scale (params.yaml's paper values) is written down as counts of
units: one frame through the content encoder Ec, the pose encoder Ep or the decoder D, one pose-LSTM step of one
clip, one frame through a classifier or reader (forward; forward + backward where the stage trains it), one MLP
example. Every unit's FLOPs are counted by torch's FlopCounterMode (convolutions and matrix products, which is
where the time goes; elementwise ops and BatchNorm are not counted) on one batch of the stage's networks at
paper sizes, divided by the batch (the pose LSTM's step and the neighbour search's float64 distances are counted
by hand). Times are FLOPs over assumed rates (``--cpu-gflops``, ``--gpu-util``; the GPU peaks are NVIDIA's
H100/H200 SXM data-sheet numbers): a lower bound, as data loading, the CPU-only parts (scikit-image PSNR/SSIM,
scikit-learn probes, HDF5 reads) and, on a GPU, launch overhead come on top.
``--measure-cpu`` times the KTH encoders and decoder here and reports the GFLOP/s this machine's conv kernels
reach. Nothing else is timed.

Usage: python -m benchmarks.eval_flops [--measure-cpu]     -> benchmarks/out/eval_flops.json
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import write
from drnet.eval.readers import DigitReader
from drnet.models import DrNet
from drnet.models.autoencoder import AeFrameModel, AutoEncoder
from drnet.models.classifiers import ActionClassifier, MLPClassifier
from drnet.params import KTH_ACTIONS, load_params, section

CHANNELS = {"mnist": 3, "kth": 1, "norb": 1, "chairs": 3}
# Frame counts of the paper-scale stores. KTH: ~2,391 subsequences x ~100 frames (docs/paper-scale.md), split by
# persons 16 : 9; small NORB: 24,300 frames per split (1,350 clips of 18 azimuths); chairs: params' procedural
# models x elevations x azimuths, test_fraction of the models held out.
KTH_TRAIN_FRAMES, KTH_TEST_FRAMES = 153_000, 86_000
NORB_FRAMES = 24_300
GPU_PEAK_TFLOPS = {"fp32": 67.0, "tf32": 494.7}  # H100/H200 SXM, dense (data sheets); cuDNN convs default to TF32
BATCH = 4  # frames per counted batch (FLOPs of convolutions and matmuls are linear in it)


def _flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def _per_item(fn, n: int) -> float:
    return _flops(fn) / n


def _train_flops(model: torch.nn.Module, x: torch.Tensor, n_classes: int) -> float:
    """Forward + backward FLOPs of one training example (cross-entropy on random labels)."""
    model.train()

    def step():
        loss = F.cross_entropy(model(x), torch.randint(n_classes, (len(x),)))
        loss.backward()
    return _per_item(step, len(x))


def _fwd(model: torch.nn.Module, x: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return _per_item(lambda: model(x), len(x))


def lstm_step_flops(pose_dim: int, content_dim: int, hidden: int, layers: int) -> float:
    """FLOPs of one pose-LSTM step of one clip, by hand: FlopCounterMode does not see inside CPU ``aten::lstm``.
    The input embedding, four gates per layer (input and recurrent matmuls) and the output layer."""
    return 2 * (pose_dim + content_dim) * hidden + layers * 2 * 4 * hidden * 2 * hidden + 2 * hidden * pose_dim


def drnet_units(params: dict, ds: str) -> tuple[dict[str, float], DrNet, torch.Tensor]:
    """Per-frame FLOPs of Ec, Ep, D and per clip-step of the pose LSTM, for dataset ``ds`` at paper sizes."""
    cfg = params[ds]
    size = cfg["data"]["image_size"]
    s = section(params, ds)
    torch.manual_seed(0)
    model = DrNet(s.model, CHANNELS[ds], size).eval()
    x = torch.rand(BATCH, CHANNELS[ds], size, size)
    with torch.no_grad():
        content, skips = model.encode_content(x)
        pose = model.encode_pose(x)
        units = {f"{ds}.Ec": _per_item(lambda: model.encode_content(x), BATCH),
                 f"{ds}.Ep": _per_item(lambda: model.encode_pose(x), BATCH),
                 f"{ds}.D": _per_item(lambda: model.decode(content, pose, skips), BATCH)}
        if "lstm_model" in cfg:
            units[f"{ds}.lstm_step"] = lstm_step_flops(s.model.pose_dim, s.model.content_dim, s.lstm_model.hidden,
                                                       s.lstm_model.layers)
    return units, model, x


def units(params: dict) -> dict[str, float]:
    """Every unit's FLOPs (per frame, per clip-step or per example) at paper sizes."""
    out: dict[str, float] = {}
    for ds in ("mnist", "kth", "norb", "chairs"):
        out.update(drnet_units(params, ds)[0])
    kth = params["kth"]
    size = kth["data"]["image_size"]
    x_kth = torch.rand(BATCH, 1, size, size)
    base = kth["baseline"]
    torch.manual_seed(0)
    ae = AeFrameModel(AutoEncoder(base["encoder"], base["latent_dim"], 1, kth["model"]["width"], size)).eval()
    with torch.no_grad():
        z = ae.encode_pose(x_kth)
        _, skips = ae.encode_content(x_kth)
        out["kth.ae_encode"] = _per_item(lambda: ae.encode_pose(x_kth), BATCH)
        out["kth.ae_decode"] = _per_item(lambda: ae.decode(None, z, skips), BATCH)
    out["kth.ae_lstm_step"] = lstm_step_flops(base["latent_dim"], 0, kth["lstm_model"]["hidden"],
                                              kth["lstm_model"]["layers"])
    c = kth["classifier"]
    out["kth.neighbour_distance"] = 2.0 * size * size  # one query against one frame: a float64 dot product
    out["kth.inception_classifier"] = _fwd(ActionClassifier(1, len(KTH_ACTIONS), c["width"], c["clip_len"], size),
                                           x_kth)
    # the swap measures' frame readers (drnet.eval.readers.train_frame_reader): train and read
    for ds, n_classes in (("kth", 9), ("norb", 18), ("chairs", 36)):
        cfg = params[ds]["disentangle"]
        s = params[ds]["data"]["image_size"]
        x = torch.rand(BATCH, CHANNELS[ds], s, s)
        reader = ActionClassifier(CHANNELS[ds], n_classes, width=cfg["reader_width"], image_size=s, dropout=0.2)
        out[f"{ds}.reader_train"] = _train_flops(reader, x, n_classes)
        out[f"{ds}.reader_read"] = _fwd(reader, x)
    digits = DigitReader(params["mnist"]["disentangle"]["reader_width"])
    x = torch.rand(BATCH, 1, params["mnist"]["data"]["image_size"], params["mnist"]["data"]["image_size"])
    out["mnist.digit_reader_train"] = _train_flops(digits, x, 10)
    out["mnist.digit_reader_read"] = _fwd(digits, x)
    nc, fs = params["norb"]["classifier"], kth["fewshot"]
    for name in ("content", "pose"):
        dim = params["norb"]["model"][f"{name}_dim"]
        mlp = MLPClassifier(dim, 5, hidden=nc["hidden"], dropout=nc["dropout"])
        out[f"norb.mlp_{name}_train"] = _train_flops(mlp, torch.rand(BATCH, dim), 5)
    dim = fs["seq_len"] * kth["model"]["pose_dim"]
    mlp = MLPClassifier(dim, len(KTH_ACTIONS), hidden=fs["hidden"], dropout=fs["dropout"])
    out["kth.fewshot_mlp_train"] = _train_flops(mlp, torch.rand(BATCH, dim), len(KTH_ACTIONS))
    out["kth.fewshot_mlp_read"] = _fwd(mlp, torch.rand(BATCH, dim))
    return out


def _figures(ds: str, n: int = 8) -> Counter:
    """stages.figures: a reconstruction row and an n x n swap grid."""
    return Counter({f"{ds}.Ec": 2 * n, f"{ds}.Ep": 2 * n, f"{ds}.D": n + n * n})


def _generation(ds: str, clips: int, n_past: int, length: int, ae: bool = False) -> Counter:
    """drnet.eval.generate: Ep on the observed frames, Ec on the last, the LSTM over observed + generated steps, D on
    every generated frame."""
    if ae:
        return Counter({"kth.ae_encode": clips * (n_past + 1), "kth.ae_lstm_step": clips * (n_past + length),
                        "kth.ae_decode": clips * length})
    return Counter({f"{ds}.Ep": clips * n_past, f"{ds}.Ec": clips, f"{ds}.lstm_step": clips * (n_past + length),
                    f"{ds}.D": clips * length})


def _reader_fit(ds: str, frames: int, epochs: int) -> Counter:
    """train_frame_reader on ``frames`` frames: 80% fit (fit_classifier keeps 10% of them for validation every
    epoch), the other 20% read once for the ceiling."""
    fit = int(0.8 * frames)
    val = round(0.1 * fit)
    return Counter({f"{ds}.reader_train": (fit - val) * epochs, f"{ds}.reader_read": val * epochs + frames - fit})


def stage_work(params: dict) -> dict[str, tuple[Counter, str]]:
    """Each evaluation stage's unit counts at paper scale, with what they are."""
    m, k, n, c = (params[d] for d in ("mnist", "kth", "norb", "chairs"))
    work: dict[str, tuple[Counter, str]] = {}
    md = m["disentangle"]
    n_past_m, n_past_k = m["lstm"]["n_past"], k["lstm"]["n_past"]
    work["mnist_generate"] = (_generation("mnist", m["generate"]["n_clips"], n_past_m, m["generate"]["length"]),
                              f"{m['generate']['n_clips']} clips x {m['generate']['length']} frames")
    work["mnist_figures"] = (_figures("mnist"), "8 x 8 swap grid")
    probe = m["probe"]["n_train"] + m["data"]["test_sequences"]
    work["mnist_probe"] = (Counter({"mnist.Ec": probe, "mnist.Ep": probe}), f"{probe} frames encoded")
    pairs, digits = md["n_pairs"], m["data"]["num_digits"]
    dis = Counter({"mnist.digit_reader_train": md["reader_steps"] * md["reader_batch"], "mnist.digit_reader_read":
                   2000 + 3 * pairs * digits + len(md["offsets"]) * md["n_clips"] * digits,
                   "mnist.Ec": 2 * pairs, "mnist.Ep": 2 * pairs, "mnist.D": 2 * pairs})
    dis += _generation("mnist", md["n_clips"], n_past_m, max(md["offsets"]))
    work["mnist_disentangle"] = (dis, f"reader {md['reader_steps']} steps x {md['reader_batch']}; {pairs} swaps; "
                                      f"{md['n_clips']} clips x {max(md['offsets'])} frames")
    for ds in ("mnist", "kth"):
        proto = params["prediction"]["protocols"][params["prediction"][ds]]
        windows = params["prediction"]["windows"] or proto["windows"]
        w = _generation(ds, windows, proto["observed"], proto["predicted"])
        if ds == "kth":
            w += _generation(ds, windows, proto["observed"], proto["predicted"], ae=True)
        work[f"{ds}_prediction"] = (w, f"{windows} windows, {proto['observed']} -> {proto['predicted']}"
                                       + (", DrNet + AE-LSTM" if ds == "kth" else ""))
    work["kth_generate"] = (_generation("kth", k["generate"]["n_clips"], n_past_k, k["generate"]["length"]),
                            f"{k['generate']['n_clips']} clips x {k['generate']['length']} frames")
    work["kth_figures"] = (_figures("kth"), "8 x 8 swap grid")
    kd = k["disentangle"]
    reader_frames = min(KTH_TEST_FRAMES, 20_000)
    horizon = max(kd["offsets"])
    w = _reader_fit("kth", reader_frames, kd["reader_epochs"])
    w += Counter({"kth.Ec": kd["n_pairs"] + kd["n_clips"], "kth.Ep": kd["n_pairs"] + kd["n_clips"] * horizon,
                  "kth.D": kd["n_pairs"] + kd["n_clips"] * horizon,
                  "kth.reader_read": kd["n_pairs"] + kd["n_clips"] * len(kd["offsets"])})
    w += _generation("kth", kd["n_clips"], n_past_k, horizon)
    work["kth_disentangle"] = (w, f"person reader {reader_frames} frames x {kd['reader_epochs']} epochs; "
                                  f"{kd['n_pairs']} swaps; {kd['n_clips']} clips x {horizon} (generated + true pose)")
    ki = k["inception"]
    w = _generation("kth", ki["n_clips"], n_past_k, ki["max_offset"])
    w += _generation("kth", ki["n_clips"], n_past_k, ki["max_offset"], ae=True)
    scored = len(range(0, ki["max_offset"], ki["every"])) * ki["n_clips"] * ki["every"] * 3
    w += Counter({"kth.inception_classifier": scored})
    queries = 18  # up to 6 clips x 3 offsets, each against every training frame, float64
    w += Counter({"kth.neighbour_distance": queries * KTH_TRAIN_FRAMES})
    work["kth_inception"] = (w, f"{ki['n_clips']} clips x {ki['max_offset']} frames x 2 models; {scored} frames "
                                f"scored; {queries} neighbour queries x {KTH_TRAIN_FRAMES} frames (fp64)")
    fs = k["fewshot"]
    windows_train, windows_test = KTH_TRAIN_FRAMES // fs["seq_len"], KTH_TEST_FRAMES // fs["seq_len"]
    persons = len(k["data"]["train_persons"])
    fit = sum(windows_train * s / persons for s in fs["subjects"]) * fs["repeats"] * 2  # both models
    w = Counter({"kth.Ep": KTH_TRAIN_FRAMES + KTH_TEST_FRAMES, "kth.ae_encode": KTH_TRAIN_FRAMES + KTH_TEST_FRAMES,
                 "kth.fewshot_mlp_train": int(0.9 * fit * fs["epochs"]),
                 "kth.fewshot_mlp_read": int(0.1 * fit * fs["epochs"]
                                             + windows_test * len(fs["subjects"]) * fs["repeats"] * 2)})
    work["kth_fewshot"] = (w, f"{KTH_TRAIN_FRAMES + KTH_TEST_FRAMES} frames x 2 encoders; "
                              f"{len(fs['subjects']) * fs['repeats'] * 2} MLPs x <= {fs['epochs']} epochs")
    for ds, par, test_frames, train_frames in (
            ("norb", n, NORB_FRAMES, NORB_FRAMES),
            ("chairs", c, *(round(f * c["data"]["procedural_models"]) * len(c["data"]["elevations"])
                            * c["data"]["azimuths"] for f in (c["data"]["test_fraction"],
                                                              1 - c["data"]["test_fraction"])))):
        work[f"{ds}_figures + _noadv"] = (_figures(ds) + _figures(ds), "two models, 8 x 8 swap grids")
        d = par["disentangle"]
        w = _reader_fit(ds, test_frames, d["reader_epochs"])
        pose_frames = min(train_frames, 20_000)
        az = _reader_fit(ds, test_frames, d["reader_epochs"])  # the azimuth reader also fits the training frames
        az[f"{ds}.reader_train"] += int(0.9 * pose_frames) * d["reader_epochs"]
        az[f"{ds}.reader_read"] += int(0.1 * pose_frames) * d["reader_epochs"]
        w += az
        w += Counter({f"{ds}.Ec": 2 * d["n_pairs"], f"{ds}.Ep": 2 * d["n_pairs"], f"{ds}.D": 2 * d["n_pairs"],
                      f"{ds}.reader_read": 4 * d["n_pairs"]})
        work[f"{ds}_disentangle"] = (w, f"2 readers on {test_frames} (+{pose_frames}) frames x {d['reader_epochs']} "
                                        f"epochs; 2 x {d['n_pairs']} swaps")
    nc = n["classifier"]
    fit = int(0.9 * NORB_FRAMES) * nc["max_epochs"] * 2  # two models
    work["norb_classification"] = (Counter({"norb.Ec": 4 * NORB_FRAMES, "norb.Ep": 4 * NORB_FRAMES,
                                            "norb.mlp_content_train": fit, "norb.mlp_pose_train": fit}),
                                   f"2 models x {2 * NORB_FRAMES} frames; 4 MLPs x <= {nc['max_epochs']} epochs")
    lk = params["leakage"]
    frames = lk["n_clips"] * lk["frames_per_clip"]
    w = Counter()
    for ds, models in (("mnist", 1), ("norb", 2), ("chairs", 2), ("kth", 1)):
        w += Counter({f"{ds}.Ec": models * frames, f"{ds}.Ep": models * frames})
    work["leakage"] = (w, f"6 models x {frames} frames")
    return work


def measure_cpu(params: dict, batch: int = 32, repeats: int = 3) -> float:
    """GFLOP/s of the KTH DrNet's Ec, Ep and D forward (conv kernels, fp32) on this machine's current threads."""
    unit, model, _ = drnet_units(params, "kth")
    size = params["kth"]["data"]["image_size"]
    x = torch.rand(batch, 1, size, size)
    flops = batch * (unit["kth.Ec"] + unit["kth.Ep"] + unit["kth.D"])
    with torch.no_grad():
        def run():
            content, skips = model.encode_content(x)
            model.decode(content, model.encode_pose(x), skips)
        run()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
    return flops / best / 1e9


def _hms(seconds: float) -> str:
    if seconds < 1:
        return "<1 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-gflops", type=float, default=200.0,
                        help="assumed fp32 rate of one CPU core pair, GFLOP/s (default 200: ~100 per core)")
    parser.add_argument("--gpu-util", type=float, default=0.35, help="share of the GPU's peak sustained (0.3-0.4)")
    parser.add_argument("--measure-cpu", action="store_true", help="also time the KTH DrNet's passes here")
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    params = load_params(Path(__file__).resolve().parent.parent / "params.yaml", "paper")
    with torch.device("meta"):  # shapes only: the counts without computing anything
        unit = units(params)
    work = stage_work(params)
    rates = {"cpu_core_pair": args.cpu_gflops * 1e9,
             "gpu_fp32": GPU_PEAK_TFLOPS["fp32"] * 1e12 * args.gpu_util,
             "gpu_tf32": GPU_PEAK_TFLOPS["tf32"] * 1e12 * args.gpu_util}
    stages = {}
    for name, (counts, what) in work.items():
        flops = sum(unit[u] * k for u, k in counts.items())
        stages[name] = {"what": what, "flops": flops, "units": dict(counts),
                        "seconds": {r: flops / v for r, v in rates.items()}}
    measured = measure_cpu(params) if args.measure_cpu else None
    print(f"{'stage':24s} {'TFLOP':>8s} {'CPU pair':>9s} {'GPU fp32':>9s} {'GPU tf32':>9s}")
    for name, s in stages.items():
        t = s["seconds"]
        print(f"{name:24s} {s['flops'] / 1e12:8.2f} {_hms(t['cpu_core_pair']):>9s} {_hms(t['gpu_fp32']):>9s} "
              f"{_hms(t['gpu_tf32']):>9s}")
    total = sum(s["flops"] for s in stages.values())
    print(f"{'all':24s} {total / 1e12:8.2f} {_hms(total / rates['cpu_core_pair']):>9s} "
          f"{_hms(total / rates['gpu_fp32']):>9s} {_hms(total / rates['gpu_tf32']):>9s}")
    if measured is not None:
        print(f"measured here: {measured:.0f} GFLOP/s on {torch.get_num_threads()} threads (KTH Ec + Ep + D, fp32)")
    result = {"rates_flop_per_s": rates, "assumptions": {
        "cpu_gflops_core_pair": args.cpu_gflops, "gpu_util": args.gpu_util, "gpu_peak_tflops": GPU_PEAK_TFLOPS,
        "kth_frames": {"train": KTH_TRAIN_FRAMES, "test": KTH_TEST_FRAMES}, "norb_frames_per_split": NORB_FRAMES,
        "counted": "FlopCounterMode: convolutions and matrix products; training units forward + backward"},
        "measured_cpu_gflops": measured, "measured_threads": torch.get_num_threads() if measured else None,
        "unit_flops": unit, "stages": stages, "total_flops": total}
    write("eval_flops", result, args.out_dir)
    return result


if __name__ == "__main__":
    main()
