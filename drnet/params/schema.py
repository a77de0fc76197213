"""The typed schema of params.yaml: one pydantic model per section, ``Params`` for the whole file.

Every section of the file is typed here: ``seed``, ``runtime``, the dataset sections (``mnist``, ``kth``, ``norb``,
``chairs``), ``leakage``, ``ablation`` and the variant overlays (``demo``, ``proof``). Every model refuses unknown
keys, ``.inf``/``.nan`` and integers beyond +-INT_MAX; fields carry their ranges and a description where the name
does not say it all. The overlays are partial trees of the same sections: they are validated after being merged
over the paper values (drnet.params.overlay), with the merged section's rules.
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

VARIANTS = ("paper", "demo", "proof")  # demo: tiny overlay; proof: the CPU disentanglement run
SEED_MAX = 2**32 - 1  # numpy's and torch's seeding range; larger seeds overflow inside torch
DATASETS = ("mnist", "norb", "chairs", "kth")  # in the paper's order; each has its own params section (Params)
INT_MAX = 2**31 - 1  # largest integer any knob takes (counts, sizes, steps): beyond it torch/numpy overflow


def _takes(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """Whether a field of this type annotation admits a value of one of ``kinds``: directly, as a ``Literal``
    member, or inside a union or list (``int | None``, ``list[float]``, ``Literal[0, 1]``)."""
    if annotation is Any or (isinstance(annotation, type) and issubclass(annotation, kinds)):
        return True
    if get_origin(annotation) is Literal:
        return any(isinstance(arg, kinds) for arg in get_args(annotation))
    return any(_takes(arg, kinds) for arg in get_args(annotation))


class Strict(BaseModel):
    """Base of every section: unknown keys, out-of-range integers and ``.inf``/``.nan`` are refused; frozen."""

    # allow_inf_nan=False: .inf / .nan are refused for every float in the schema (weights, lrs, timeouts, ...)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """A YAML boolean (true/false, yes/no, on/off) is refused where a number is expected: pydantic would read
        ``steps: true`` as 1 and ``adv_weight: off`` as 0.0 (``bool`` is a subclass of ``int``)."""
        annotation = cls.model_fields[info.field_name].annotation
        if _takes(annotation, (int, float)) and not _takes(annotation, (bool,)):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, bool):
                    raise ValueError("a YAML boolean (true/false, yes/no, on/off) is not a number; write the number")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _ints_in_range(cls, value: Any, info: ValidationInfo) -> Any:
        """Every integer of the schema (also inside lists) lies within +-INT_MAX; fields may bound it tighter
        (seeds have their own range, 0..SEED_MAX)."""
        if info.field_name == "seed":
            return value
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT_MAX:
                raise ValueError(f"integers must lie within +-{INT_MAX} (2**31 - 1)")
        return value


class Runtime(Strict):
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16", "fp64"] = Field("auto", description="auto = bf16 autocast where "
                                                                "the hardware runs it natively, else fp32")
    num_workers: int = Field(2, ge=0, le=64)
    threads: int = Field(0, ge=0, le=256, description="torch intra-op threads; 0 = the cores the job owns "
                         "(OMP_NUM_THREADS or the affinity mask) less one per loader worker, at least 1")
    channels_last: bool = True
    compile: bool = Field(False, description="torch.compile the content/pose encoders and the decoder of DrNet "
                          "training (drnet.train); the LSTM, AE and classifier loops run eagerly")


class Download(Strict):
    mirrors: list[str] = Field(min_length=1)
    retries: int = Field(3, ge=0, le=20)
    timeout_s: float = Field(60.0, gt=0)


class DrnetModel(Strict):
    content_encoder: Literal["dcgan64", "dcgan64_unet", "resnet18", "vgg16_unet"] = "dcgan64"
    pose_encoder: Literal["dcgan64", "resnet18"] = "dcgan64"
    decoder: Literal["dcgan64", "dcgan64_unet", "vgg16_unet"] = "dcgan64"
    content_dim: int = Field(128, gt=0, le=4096)
    pose_dim: int = Field(10, gt=0, le=4096)
    width: int = Field(64, gt=0, le=1024, description="base channel count of the conv nets (DCGAN nf)")
    disc_hidden: int = Field(100, gt=0, le=4096)
    normalize: bool = Field(True, description="unit-norm pose vectors and LSTM predictions (paper; both codes)")
    normalize_content: bool = Field(True, description="unit-norm content vectors too (paper text, Lua drnet; "
                                                      "drnet-py normalizes pose only)")

    @model_validator(mode="after")
    def _unet_pairs(self) -> DrnetModel:
        unets = ("dcgan64_unet", "vgg16_unet")
        if (self.content_encoder in unets or self.decoder in unets) and self.content_encoder != self.decoder:
            raise ValueError(f"a U-Net content encoder and decoder come as a pair: content_encoder and decoder "
                             f"must both be one of {', '.join(unets)} (got {self.content_encoder} and "
                             f"{self.decoder})")
        return self


class DrnetTrain(Strict):
    steps: int = Field(gt=0)
    batch_size: int = Field(100, gt=1, le=8192)
    lr: float = Field(0.002, gt=0, le=1)
    beta1: float = Field(0.9, ge=0, lt=1)
    max_step: int | None = Field(20, gt=0, description="largest frame offset k between x_t and x_t+k; null: any "
                                                      "two frames of the clip (authors' KTH loader)")
    fresh_clips: bool = Field(False, description="draw a new clip for every item (MNIST; authors) instead of "
                                                 "reusing the store's fixed training clips")
    sim_weight: float = Field(1.0, ge=0, description="alpha: weight of the content similarity loss")
    adv_weight: float = Field(1e-4, ge=0, description="beta: weight of the pose encoder's adversarial loss")
    lr_drop_at: float | None = Field(None, gt=0, lt=1, description="fraction of the steps after which the lr "
                                     "is multiplied by lr_drop_factor; null: constant lr (authors)")
    lr_drop_factor: float = Field(0.1, gt=0, le=1)
    checkpoint_every: int = Field(1000, gt=0)
    log_every: int = Field(20, gt=0)

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (steps done before it): lr, times lr_drop_factor past the drop."""
        dropped = self.lr_drop_at is not None and step >= self.lr_drop_at * self.steps
        return self.lr * self.lr_drop_factor if dropped else self.lr


class LstmModel(Strict):
    hidden: int = Field(256, gt=0, le=8192)
    layers: int = Field(2, gt=0, le=16)
    standardize: bool = Field(False, description="the LSTM reads and predicts poses standardised per dimension "
                              "(mean/std of the training poses, kept in the LSTM file); false: raw poses (authors)")


class LstmTrain(Strict):
    steps: int = Field(gt=0)
    batch_size: int = Field(100, gt=0, le=8192)
    lr: float = Field(0.002, gt=0, le=1)
    beta1: float = Field(0.9, ge=0, lt=1)
    n_past: int = Field(gt=0)
    n_future: int = Field(gt=0)
    fresh_clips: bool = Field(False, description="a new clip for every item (MNIST), as train.fresh_clips")
    encode_once: bool = Field(False, description="encode the store's frames once before training, not every "
                                                 "step (the same codes: the frozen model is in eval mode)")
    checkpoint_every: int = Field(1000, gt=0)
    log_every: int = Field(20, gt=0)


class Generate(Strict):
    length: int = Field(500, gt=0, le=100_000, description="frames generated after the observed ones")
    n_clips: int = Field(4, gt=0, le=1024)
    fps: int = Field(10, gt=0, le=60)


class Probe(Strict):
    n_train: int = Field(2000, gt=10)
    max_iter: int = Field(2000, gt=0)
    position_bins: int = Field(4, gt=1, le=64, description="digit position is probed as a bins x bins grid cell")


class SwapEval(Strict):
    """The swap measure of disentanglement (drnet.eval.mnist_disentangle)."""

    reader_steps: int = Field(1500, gt=0, description="training steps of the reader network (real frames only)")
    reader_batch: int = Field(128, gt=1, le=4096)
    reader_width: int = Field(32, gt=0, le=512)
    n_pairs: int = Field(1000, gt=0, description="content/pose test pairs swapped")
    offsets: list[int] = Field([10, 100, 500], min_length=1, description="LSTM generation offsets scored")
    n_clips: int = Field(100, gt=0, description="test clips generated for the over-time scores")


class MnistData(Strict):
    source: Literal["idx", "sklearn_digits"] = "idx"
    image_size: Literal[32, 64, 128] = 64
    digit_size: int = Field(32, gt=0)
    num_digits: int = Field(2, ge=1, le=3)
    train_sequences: int = Field(10000, gt=1)
    test_sequences: int = Field(1000, gt=1)
    seq_len: int = Field(25, gt=1)
    max_speed: int = Field(4, gt=0, description="largest per-frame displacement in pixels")

    @model_validator(mode="after")
    def _digit_fits(self) -> MnistData:
        if self.digit_size >= self.image_size:
            raise ValueError(f"digit_size ({self.digit_size}) must be smaller than image_size ({self.image_size})")
        return self


class Mnist(Strict):
    download: Download
    data: MnistData
    model: DrnetModel
    train: DrnetTrain
    lstm_model: LstmModel
    lstm: LstmTrain
    generate: Generate
    probe: Probe
    disentangle: SwapEval

    @model_validator(mode="after")
    def _lengths(self) -> Mnist:
        if self.train.max_step is not None and self.train.max_step >= self.data.seq_len:
            raise ValueError(f"train.max_step ({self.train.max_step}) must be < data.seq_len ({self.data.seq_len})")
        if self.lstm.n_past + self.lstm.n_future > self.data.seq_len:
            raise ValueError(
                f"lstm.n_past + lstm.n_future ({self.lstm.n_past + self.lstm.n_future}) must be <= "
                f"data.seq_len ({self.data.seq_len})"
            )
        if not self.train.fresh_clips and self.train.batch_size > self.data.train_sequences:
            raise ValueError("train.batch_size must be <= data.train_sequences (each batch uses distinct clips)")
        return self


# KTH's six actions in label order (stores, zips, the action classifier); a fact of the dataset, kept beside its
# section because the data modules that share it sit above params.
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
    beta1: float = Field(0.9, ge=0, lt=1)
    checkpoint_every: int = Field(500, gt=0)
    log_every: int = Field(600, gt=0)


class ActionClassifier(Strict):
    """Action classifier on real frames, used as the 'Inception' network for KTH."""

    clip_len: int = Field(1, ge=1, le=64, description="frames per classifier input (1 = single frames)")
    width: int = Field(32, gt=0, le=1024)
    steps: int = Field(5000, gt=0)
    batch_size: int = Field(64, gt=1, le=8192)
    lr: float = Field(0.001, gt=0)
    max_epochs: int = Field(10, gt=0, description="most epochs of steps // max_epochs batches; early stopping")
    patience: int = Field(3, gt=0, description="epochs without a lower validation loss before stopping")
    max_train_clips: int = Field(20000, gt=1, description="cap on the training clips drawn (steps * batch_size)")
    max_test_clips: int = Field(2000, gt=0, description="cap on the test clips drawn (10 per test video)")


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
    """Swap measure for NORB and chairs (drnet.eval.object_disentangle.object_swap_table)."""

    n_pairs: int = Field(500, gt=0, le=100_000)
    reader_width: int = Field(16, gt=0, le=512)
    reader_epochs: int = Field(15, gt=0, le=1000)


class KthSwapEval(ObjectSwapEval):
    """KTH: person reader on swaps and generations, motion over time (drnet.eval.kth_disentangle.kth_table)."""

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


class PredictionProtocol(Strict):
    """A prediction protocol of the literature: the split, frame size, frames observed and predicted, test windows."""

    dataset: Literal["kth", "mnist"]
    lineage: str = Field(min_length=1, description="who scores this way, e.g. 'SVG, SRVP'")
    data_source: Literal["official", "idx"] = Field(description="the real data the protocol is defined on")
    image_size: int = Field(gt=0, le=1024)
    observed: int = Field(gt=0, le=1000)
    predicted: int = Field(gt=0, le=1000)
    windows: int = Field(gt=0, le=1_000_000, description="test windows (clip, start frame) in the fixed test set")
    train_persons: list[int] | None = Field(None, description="KTH only: the protocol's training persons")
    test_persons: list[int] | None = Field(None, description="KTH only: the protocol's test persons")

    @model_validator(mode="after")
    def _persons(self) -> PredictionProtocol:
        kth = self.dataset == "kth"
        if kth != (self.train_persons is not None and self.test_persons is not None):
            raise ValueError("train_persons and test_persons are set for KTH protocols and only for them")
        return self


class WeightFile(Strict):
    """A network's weights read from a local file (no package ships them): null = the metric is off."""

    path: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _pinned(self) -> WeightFile:
        if self.path is not None and self.sha256 is None:
            raise ValueError("a weights path needs its sha256 (sha256sum FILE)")
        return self


class LpipsWeights(WeightFile):
    """LPIPS v0.1: ``path`` = the lpips package's linear layers (weights/v0.1/<backbone>.pth), ``backbone_path`` =
    torchvision's ImageNet weights of the backbone."""

    backbone: Literal["alex", "vgg"] = "alex"
    backbone_path: str | None = None
    backbone_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _both(self) -> LpipsWeights:
        if (self.path is None) != (self.backbone_path is None):
            raise ValueError("LPIPS needs both files: path (linear layers) and backbone_path, or neither")
        if self.backbone_path is not None and self.backbone_sha256 is None:
            raise ValueError("a weights path needs its sha256 (sha256sum FILE)")
        return self


class FvdWeights(WeightFile):
    include_observed: bool = Field(False, description="the videos scored start with the observed frames")


class Prediction(Strict):
    """Prediction metrics as the later literature scores them (per-frame PSNR/SSIM on a fixed, hashed test set)."""

    seed: int = Field(0, ge=0, le=SEED_MAX, description="the test manifest's draw, apart from the training seed")
    kth: str = Field(description="the protocol the KTH prediction stage scores (a name in protocols)")
    mnist: str = Field(description="the protocol the MNIST prediction stage scores (a name in protocols)")
    windows: int | None = Field(None, gt=0, le=1_000_000, description="test windows; null: the protocol's")
    batch_size: int = Field(50, gt=0, le=8192, description="windows generated at once")
    lpips: LpipsWeights = LpipsWeights()
    fvd: FvdWeights = FvdWeights()
    protocols: dict[str, PredictionProtocol]

    @model_validator(mode="after")
    def _chosen(self) -> Prediction:
        for dataset in ("kth", "mnist"):
            name = getattr(self, dataset)
            if name not in self.protocols:
                raise ValueError(f"{dataset}: no protocol {name!r} (known: {', '.join(sorted(self.protocols))})")
            if self.protocols[name].dataset != dataset:
                raise ValueError(f"{dataset}: protocol {name!r} is a {self.protocols[name].dataset} protocol")
        return self


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


class Ablation(Strict):
    """Training values an ablated run puts over its dataset's ``train`` section (``--ablation NAME``)."""

    adv_weight: float = Field(ge=0, description="beta of the ablated run (noadv: 0, no adversarial term)")


class Ablations(Strict):
    noadv: Ablation = Field(description="the *_train_noadv stages: DrNet without the adversarial term (paper "
                                        "Fig. 4 centre, Table 1)")


class Params(Strict):
    """The whole of params.yaml, every section typed (the overlays as mappings of partial sections)."""

    seed: int = Field(0, ge=0, le=SEED_MAX)
    runtime: Runtime = Runtime()
    mnist: Mnist
    kth: Kth
    norb: Norb
    chairs: Chairs
    leakage: Leakage
    prediction: Prediction
    ablation: Ablations
    demo: dict[str, Any] | None = Field(None, description="overlay of --variant demo: tiny sizes, embedded sources")
    proof: dict[str, Any] | None = Field(None, description="overlay of --variant proof: the CPU disentanglement run")


# The sections ``drnet.params.section`` returns typed, by name.
SECTIONS: dict[str, type[BaseModel]] = {name: info.annotation for name, info in Params.model_fields.items()
                                        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)}
