"""Schemas of the KTH, NORB and chairs sections of params.yaml (MNIST and shared pieces: drnet.params)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drnet.params import (
    SEED_MAX,
    Download,
    DrnetModel,
    DrnetTrain,
    Generate,
    LstmModel,
    LstmTrain,
    Strict,
    register_section,
)

KTH_ACTIONS = ("boxing", "handclapping", "handwaving", "jogging", "running", "walking")


class KthData(Strict):
    source: Literal["official", "synthetic"] = "official"
    image_size: Literal[64, 128] = 64
    train_persons: list[int] = Field(default_factory=lambda: list(range(1, 17)))
    test_persons: list[int] = Field(default_factory=lambda: list(range(17, 26)))
    min_length: int = Field(30, gt=1, description="subsequences shorter than this are skipped")

    @model_validator(mode="after")
    def _split(self) -> KthData:
        bad = [p for p in self.train_persons + self.test_persons if not 1 <= p <= 25]
        if bad:
            raise ValueError(f"KTH persons are numbered 1..25, got {bad[0]}")
        if set(self.train_persons) & set(self.test_persons):
            raise ValueError("train_persons and test_persons overlap")
        return self


class KthSynthetic(Strict):
    """The synthetic KTH-format source: real AVIs + an official-format sequences file, for tests and the demo."""

    persons: int = Field(25, ge=2, le=25)
    scenarios: int = Field(4, ge=1, le=4)
    frames_per_video: int = Field(120, ge=20)
    seed: int = Field(0, ge=0, le=SEED_MAX)


class AeBaseline(Strict):
    """AE-LSTM baseline: one encoder (no content/pose split), same decoder family and LSTM."""

    encoder: Literal["dcgan64", "resnet18", "vgg16_unet"] = "vgg16_unet"
    latent_dim: int = Field(24, gt=0, le=4096)
    steps: int = Field(gt=0)
    batch_size: int = Field(100, gt=1, le=8192)
    lr: float = Field(0.002, gt=0)
    beta1: float = Field(0.5, ge=0, lt=1)


class ActionClassifier(Strict):
    """Action classifier on real frames, used as the 'Inception' network for KTH."""

    clip_len: int = Field(1, ge=1, le=64, description="frames per classifier input (1 = single frames)")
    width: int = Field(32, gt=0, le=1024)
    steps: int = Field(2000, gt=0)
    batch_size: int = Field(64, gt=1, le=8192)
    lr: float = Field(0.001, gt=0)


class Inception(Strict):
    max_offset: int = Field(100, gt=0)
    every: int = Field(10, gt=0, description="a window of generated frames every this many steps")
    n_splits: int = Field(10, gt=0)
    n_clips: int = Field(200, gt=0, description="test clips generated per model")


class FewShot(Strict):
    seq_len: int = Field(24, gt=0)
    subjects: list[int] = Field(default_factory=lambda: list(range(1, 13)))
    hidden: int = Field(1200, gt=0, le=65536)
    dropout: float = Field(0.5, ge=0, lt=1)
    epochs: int = Field(100, gt=0, description="most epochs; early stopping on a validation split")
    patience: int = Field(10, gt=0)
    repeats: int = Field(3, gt=0)


class ObjectSwapEval(Strict):
    """Swap measure for NORB and chairs (drnet.eval.disentangle.object_swap_table)."""

    n_pairs: int = Field(500, gt=0, le=100_000)
    reader_width: int = Field(16, gt=0, le=512)
    reader_epochs: int = Field(15, gt=0, le=1000)


class KthSwapEval(ObjectSwapEval):
    """KTH: person reader on swaps and generations, motion over time (drnet.eval.disentangle.kth_table)."""

    offsets: list[int] = Field([10, 50, 100], min_length=1)
    n_clips: int = Field(50, gt=0, le=10_000)


class Kth(Strict):
    download: Download
    data: KthData
    synthetic: KthSynthetic
    model: DrnetModel
    train: DrnetTrain
    lstm_model: LstmModel
    lstm: LstmTrain
    generate: Generate
    baseline: AeBaseline
    classifier: ActionClassifier
    disentangle: KthSwapEval
    inception: Inception
    fewshot: FewShot


class NorbData(Strict):
    source: Literal["official", "synthetic"] = "official"
    image_size: Literal[32, 64] = Field(64, description="frames resized from 96x96 (the DCGAN decoder needs 2^k)")
    camera: Literal[0, 1] = 0


class NorbSynthetic(Strict):
    """The synthetic small-NORB-format source: the six .mat files written from rendered procedural objects."""

    instances: int = Field(10, ge=2, le=10, description="per category; split as in NORB (4,6,7,8,9 train)")
    elevations: int = Field(9, ge=1, le=9)
    lightings: int = Field(6, ge=1, le=6)
    seed: int = Field(0, ge=0, le=SEED_MAX)


class ChairsData(Strict):
    source: Literal["procedural", "meshes", "authors_renders"] = "procedural"
    mesh_dir: str = "data/raw/chairs/meshes"
    renders_dir: str = "data/raw/chairs/renders"
    procedural_models: int = Field(100, ge=2)
    azimuths: int = Field(36, ge=2)
    elevations: list[float] = Field(default_factory=lambda: [10.0, 20.0, 30.0, 40.0, 50.0])
    image_size: Literal[64, 128] = 64
    test_fraction: float = Field(0.2, gt=0, lt=1)
    seed: int = Field(0, ge=0, le=SEED_MAX)


class ObjectClassifier(Strict):
    hidden: int = Field(256, gt=0, le=65536)
    dropout: float = Field(0.5, ge=0, lt=1)
    max_epochs: int = Field(200, gt=0)
    patience: int = Field(10, gt=0)
    val_fraction: float = Field(0.1, gt=0, lt=1)
    max_train_frames: int | None = Field(None, gt=1, description="seeded sample of training frames (None: all)")
    max_test_frames: int | None = Field(None, gt=0, description="seeded sample of test frames (None: all)")


class Leakage(Strict):
    """Cross-dataset linear probes: clip identity from pose, pose factor from content (beyond the paper)."""

    n_clips: int = Field(100, ge=2)
    frames_per_clip: int = Field(10, ge=2)
    max_iter: int = Field(1000, gt=0)


class Norb(Strict):
    download: Download
    data: NorbData
    synthetic: NorbSynthetic
    model: DrnetModel
    train: DrnetTrain
    classifier: ObjectClassifier
    disentangle: ObjectSwapEval


class Chairs(Strict):
    data: ChairsData
    model: DrnetModel
    train: DrnetTrain
    disentangle: ObjectSwapEval


register_section("kth", Kth)
register_section("norb", Norb)
register_section("chairs", Chairs)
register_section("leakage", Leakage)
