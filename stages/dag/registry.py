"""The stage table: every pipeline stage once, with its command, inputs, outputs, params keys and resources.

Every stage is one command (``python -m stages.<module> ...``) with declared inputs, outputs, params keys and
resources. Each exists in up to three variants: ``paper`` (paper-scale params, outputs under data/ and results/),
``demo`` (the params.yaml ``demo:`` overlay, outputs under data/demo/ and results/demo/, names prefixed demo_) and
``proof`` (the CPU disentanglement run, MNIST and NORB). ``Job`` binds a stage to a variant. dvc.yaml is rendered
from this table (stages/dag/render.py) and workflow/rules.smk makes Snakemake's rules from it (stages/dag/smk.py);
no stage command imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drnet.params import DATASETS, training_keys


def scale_keys(*datasets: str) -> list[str]:
    """The paper-scale params a figure's or table's scale stamp compares its model with (drnet.report.scale:
    training steps and width), read from params.yaml by every stage that stamps its outputs."""
    return [f"{ds}.{key}" for ds in datasets for key in ("train.steps", "model.width")]


@dataclass(frozen=True)
class Stage:
    """One pipeline stage. ``deps``/``outs`` map a command-line flag to a path (``{d}`` = data root,
    ``{r}`` = results root, ``{raw}`` = raw-data root); ``args`` are constant flags; ``params`` are the
    params.yaml keys the stage reads (a training stage's are ``drnet.params.training_keys``, the keys it hashes
    into its resume key, plus any ablation it applies, plus ``runtime``: the stages that set up torch read it,
    and its results-changing settings join the resume key on their own); ``paper_only_deps`` are inputs the demo
    does without."""

    name: str
    module: str
    deps: dict[str, str]
    outs: dict[str, str]
    params: list[str]
    args: list[str] = field(default_factory=list)
    paper_only_deps: frozenset[str] = frozenset()
    dir_outs: frozenset[str] = frozenset()    # outs that are folders
    metrics: frozenset[str] = frozenset()     # JSON outs shown by `dvc metrics show`
    plots: frozenset[str] = frozenset()       # CSV outs shown by `dvc plots show`
    persist: dict[str, str] = field(default_factory=dict)  # resumable state (checkpoints): kept across runs
    variants: tuple[str, ...] = ("paper", "demo")  # ALL_VARIANTS adds the CPU proof run (MNIST and NORB)
    threads: int = 1
    mem_mb: int = 4000
    runtime_min: int = 60
    gpu: int = 0


ALL_VARIANTS = ("paper", "demo", "proof")
# What an evaluation stage reads of ``runtime`` (drnet.runtime.context.eval_context): the device its models, readers
# and passes run on, and its intra-op threads; it evaluates in fp32 on no DataLoader workers, so the other runtime
# keys change nothing it computes (an edit of them re-runs no evaluation)
EVAL_RUNTIME = ["runtime.device", "runtime.threads"]


def _mnist() -> list[Stage]:
    train = "{d}/processed/mnist/train.h5"
    test = "{d}/processed/mnist/test.h5"
    drnet = "{d}/models/mnist/drnet.pt"
    lstm = "{d}/models/mnist/lstm.pt"
    return [
        Stage("mnist_download", "stages.mnist_download", {}, {"--out": "data/raw/mnist"}, ["mnist.download"],
              dir_outs=frozenset({"--out"}), variants=("paper",), runtime_min=30),
        Stage("mnist_build", "stages.mnist_build", {"--raw": "data/raw/mnist"},
              {"--train-out": train, "--test-out": test, "--summary-out": "{r}/mnist_data.json"},
              ["seed", "mnist.data"], metrics=frozenset({"--summary-out"}), runtime_min=30,
              paper_only_deps=frozenset({"--raw"}), variants=ALL_VARIANTS),
        Stage("mnist_train", "stages.train_drnet", {"--train": train},
              {"--model-out": drnet, "--metrics-out": "{r}/mnist_train_metrics.csv",
               "--summary-out": "{r}/mnist_train.json"},
              [*training_keys("drnet", "mnist"), "runtime"], args=["--dataset", "mnist"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/mnist/drnet.pt"}, threads=2, mem_mb=8000,
              runtime_min=24 * 60, gpu=1, variants=ALL_VARIANTS),
        Stage("mnist_lstm", "stages.train_lstm", {"--drnet": drnet, "--train": train},
              {"--model-out": lstm, "--metrics-out": "{r}/mnist_lstm_metrics.csv",
               "--summary-out": "{r}/mnist_lstm.json"},
              [*training_keys("lstm", "mnist"), "runtime"], args=["--dataset", "mnist"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/mnist/lstm.pt"}, threads=2, mem_mb=8000,
              runtime_min=12 * 60, gpu=1, variants=ALL_VARIANTS),
        Stage("mnist_generate", "stages.generate", {"--drnet": drnet, "--lstm": lstm, "--test": test},
              {"--strip-out": "{r}/mnist/generation.png", "--video-out": "{r}/mnist/generation.gif"},
              ["seed", "mnist.generate", *scale_keys("mnist"), *EVAL_RUNTIME], args=["--dataset", "mnist"], threads=2,
              variants=ALL_VARIANTS),
        Stage("mnist_figures", "stages.figures", {"--drnet": drnet, "--test": test},
              {"--reconstruction-out": "{r}/mnist/reconstruction.png", "--swap-out": "{r}/mnist/swap.png"},
              ["seed", *scale_keys("mnist"), *EVAL_RUNTIME], threads=2, variants=ALL_VARIANTS),
        Stage("mnist_probe", "stages.mnist_probe", {"--drnet": drnet, "--train": train, "--test": test},
              {"--out": "{r}/mnist_probe.json"}, ["seed", "mnist.probe", *EVAL_RUNTIME], metrics=frozenset({"--out"}),
              threads=2),
        Stage("mnist_disentangle", "stages.mnist_disentangle",
              {"--drnet": drnet, "--lstm": lstm, "--train": train, "--test": test},
              {"--csv-out": "{r}/mnist_disentanglement.csv", "--md-out": "{r}/mnist_disentanglement.md",
               "--summary-out": "{r}/mnist_disentanglement.json"}, ["seed", "mnist.disentangle", *EVAL_RUNTIME],
              metrics=frozenset({"--summary-out"}), threads=2, runtime_min=60, variants=ALL_VARIANTS),
        _prediction("mnist", {"--drnet": drnet, "--lstm": lstm, "--test": test}, ALL_VARIANTS),
    ]


def _prediction(ds: str, deps: dict[str, str], variants: tuple[str, ...]) -> Stage:
    """PSNR/SSIM per predicted frame under the literature's protocols (``prediction``), on a hashed test manifest."""
    return Stage(f"{ds}_prediction", "stages.prediction", deps,
                 {"--csv-out": f"{{r}}/{ds}_prediction.csv", "--md-out": f"{{r}}/{ds}_prediction.md",
                  "--summary-out": f"{{r}}/{ds}_prediction.json",
                  "--manifest-out": f"{{r}}/{ds}_prediction_manifest.json", "--plot-out": f"{{r}}/{ds}/prediction.png"},
                 ["prediction", *([f"{ds}.data.train_persons", f"{ds}.data.test_persons"] if ds == "kth" else []),
                  *scale_keys(ds), *EVAL_RUNTIME],
                 args=["--dataset", ds], metrics=frozenset({"--summary-out"}), threads=2, runtime_min=60,
                 variants=variants)


def _kth() -> list[Stage]:
    raw = "{raw}/kth"
    train, test = "{d}/processed/kth/train.h5", "{d}/processed/kth/test.h5"
    drnet, lstm = "{d}/models/kth/drnet.pt", "{d}/models/kth/lstm.pt"
    ae, ae_lstm = "{d}/models/kth/ae.pt", "{d}/models/kth/ae_lstm.pt"
    classifier = "{d}/models/kth/classifier.pt"
    gpu = {"threads": 2, "mem_mb": 16000, "runtime_min": 48 * 60, "gpu": 1, "variants": ALL_VARIANTS}
    every = {"variants": ALL_VARIANTS}
    return [
        Stage("kth_download", "stages.kth_download", {}, {"--out": raw}, ["kth.download"],
              dir_outs=frozenset({"--out"}), variants=("paper",), runtime_min=120),
        Stage("kth_synth", "stages.kth_synth", {}, {"--out": raw}, ["kth.synthetic"],
              dir_outs=frozenset({"--out"}), variants=("demo", "proof"), runtime_min=30),
        Stage("kth_build", "stages.kth_build", {"--raw": raw},
              {"--train-out": train, "--test-out": test, "--summary-out": "{r}/kth_data.json"},
              ["kth.data"], args=["--threads", "2"], metrics=frozenset({"--summary-out"}), threads=2,
              mem_mb=8000, runtime_min=120, **every),
        Stage("kth_train", "stages.train_drnet", {"--train": train},
              {"--model-out": drnet, "--metrics-out": "{r}/kth_train_metrics.csv",
               "--summary-out": "{r}/kth_train.json"},
              [*training_keys("drnet", "kth"), "runtime"], args=["--dataset", "kth"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/kth/drnet.pt"}, **gpu),
        Stage("kth_lstm", "stages.train_lstm", {"--drnet": drnet, "--train": train},
              {"--model-out": lstm, "--metrics-out": "{r}/kth_lstm_metrics.csv", "--summary-out": "{r}/kth_lstm.json"},
              [*training_keys("lstm", "kth"), "runtime"], args=["--dataset", "kth"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/kth/lstm.pt"}, **gpu),
        Stage("kth_ae", "stages.train_ae", {"--train": train},
              {"--model-out": ae, "--metrics-out": "{r}/kth_ae_metrics.csv", "--summary-out": "{r}/kth_ae.json"},
              [*training_keys("ae", "kth"), "runtime"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/kth/ae.pt"}, **gpu),
        Stage("kth_ae_lstm", "stages.train_lstm", {"--drnet": ae, "--train": train},
              {"--model-out": ae_lstm, "--metrics-out": "{r}/kth_ae_lstm_metrics.csv",
               "--summary-out": "{r}/kth_ae_lstm.json"},
              [*training_keys("lstm", "kth"), "runtime"], args=["--dataset", "kth"],
              metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
              persist={"--checkpoint": "{d}/checkpoints/kth/ae_lstm.pt"}, **gpu),
        Stage("kth_generate", "stages.generate", {"--drnet": drnet, "--lstm": lstm, "--test": test},
              {"--strip-out": "{r}/kth/generation.png", "--video-out": "{r}/kth/generation.gif"},
              ["seed", "kth.generate", *scale_keys("kth"), *EVAL_RUNTIME], args=["--dataset", "kth"], threads=2,
              **every),
        Stage("kth_figures", "stages.figures", {"--drnet": drnet, "--test": test},
              {"--reconstruction-out": "{r}/kth/reconstruction.png", "--swap-out": "{r}/kth/swap.png"},
              ["seed", *scale_keys("kth"), *EVAL_RUNTIME], threads=2, **every),
        Stage("kth_disentangle", "stages.kth_disentangle", {"--drnet": drnet, "--lstm": lstm, "--test": test},
              {"--csv-out": "{r}/kth_disentanglement.csv", "--md-out": "{r}/kth_disentanglement.md",
               "--summary-out": "{r}/kth_disentanglement.json"}, ["seed", "kth.disentangle", *EVAL_RUNTIME],
              metrics=frozenset({"--summary-out"}), threads=2, runtime_min=60, **every),
        Stage("kth_classifier", "stages.kth_classifier", {"--train": train, "--test": test},
              {"--model-out": classifier, "--summary-out": "{r}/kth_classifier.json"},
              ["seed", "kth.classifier", "runtime"],
              metrics=frozenset({"--summary-out"}), threads=2, mem_mb=8000, runtime_min=240, **every),
        Stage("kth_inception", "stages.kth_inception",
              {"--drnet": drnet, "--drnet-lstm": lstm, "--ae": ae, "--ae-lstm": ae_lstm, "--classifier": classifier,
               "--classifier-summary": "{r}/kth_classifier.json", "--train": train, "--test": test},
              {"--csv-out": "{r}/kth_inception.csv", "--plot-out": "{r}/kth/inception.png",
               "--neighbours-out": "{r}/kth/neighbours.png"},
              ["seed", "kth.inception", *scale_keys("kth"), *EVAL_RUNTIME], threads=2, mem_mb=8000, runtime_min=120,
              **every),
        _prediction("kth", {"--drnet": drnet, "--lstm": lstm, "--ae": ae, "--ae-lstm": ae_lstm, "--test": test},
                    ALL_VARIANTS),
    ]


def _object_dataset(ds: str, raw_stages: list[Stage], build: Stage,
                    variants: tuple[str, ...] = ("paper", "demo")) -> list[Stage]:
    """NORB and chairs: data, DrNet with and without the adversarial term (Fig. 4 centre), swap grids."""
    train = f"{{d}}/processed/{ds}/train.h5"
    test = f"{{d}}/processed/{ds}/test.h5"
    gpu = {"threads": 2, "mem_mb": 8000, "runtime_min": 24 * 60, "gpu": 1}
    stages = [*raw_stages, build]
    # the ablation without the adversarial term reads params.yaml's ablation.noadv (adv_weight 0) over its train
    for suffix, ablation_args, ablation_keys in (("", [], []), ("_noadv", ["--ablation", "noadv"], ["ablation.noadv"])):
        model = f"{{d}}/models/{ds}/drnet{suffix}.pt"
        stages += [
            Stage(f"{ds}_train{suffix}", "stages.train_drnet", {"--train": train},
                  {"--model-out": model, "--metrics-out": f"{{r}}/{ds}_train{suffix}_metrics.csv",
                   "--summary-out": f"{{r}}/{ds}_train{suffix}.json"},
                  [*training_keys("drnet", ds), *ablation_keys, "runtime"], args=["--dataset", ds, *ablation_args],
                  metrics=frozenset({"--summary-out"}), plots=frozenset({"--metrics-out"}),
                  persist={"--checkpoint": f"{{d}}/checkpoints/{ds}/drnet{suffix}.pt"}, variants=variants, **gpu),
            Stage(f"{ds}_figures{suffix}", "stages.figures", {"--drnet": model, "--test": test},
                  {"--reconstruction-out": f"{{r}}/{ds}/reconstruction{suffix}.png",
                   "--swap-out": f"{{r}}/{ds}/swap{suffix}.png"}, ["seed", *scale_keys(ds), *EVAL_RUNTIME], threads=2,
                  variants=variants),
        ]
    stages.append(
        Stage(f"{ds}_disentangle", "stages.object_disentangle",
              {"--drnet": f"{{d}}/models/{ds}/drnet.pt", "--drnet-noadv": f"{{d}}/models/{ds}/drnet_noadv.pt",
               "--train": train, "--test": test},
              {"--csv-out": f"{{r}}/{ds}_disentanglement.csv", "--md-out": f"{{r}}/{ds}_disentanglement.md",
               "--summary-out": f"{{r}}/{ds}_disentanglement.json"}, ["seed", f"{ds}.disentangle", *EVAL_RUNTIME],
              args=["--dataset", ds], metrics=frozenset({"--summary-out"}), threads=2, runtime_min=60,
              variants=variants))
    return stages


def _norb() -> list[Stage]:
    raw = "{raw}/norb"
    build = Stage("norb_build", "stages.norb_build", {"--raw": raw},
                  {"--train-out": "{d}/processed/norb/train.h5", "--test-out": "{d}/processed/norb/test.h5",
                   "--summary-out": "{r}/norb_data.json"}, ["norb.data"], metrics=frozenset({"--summary-out"}),
                  mem_mb=8000, runtime_min=60, variants=ALL_VARIANTS)
    raw_stages = [
        Stage("norb_download", "stages.norb_download", {}, {"--out": raw}, ["norb.download"],
              dir_outs=frozenset({"--out"}), variants=("paper",), runtime_min=60),
        Stage("norb_synth", "stages.norb_synth", {}, {"--out": raw}, ["norb.synthetic"],
              dir_outs=frozenset({"--out"}), variants=("demo", "proof"), runtime_min=30),
    ]
    stages = _object_dataset("norb", raw_stages, build, ALL_VARIANTS)
    stages.append(
        Stage("norb_classification", "stages.norb_classification",
              {"--drnet": "{d}/models/norb/drnet.pt", "--drnet-noadv": "{d}/models/norb/drnet_noadv.pt",
               "--train": "{d}/processed/norb/train.h5", "--test": "{d}/processed/norb/test.h5"},
              {"--csv-out": "{r}/norb_classification.csv", "--long-out": "{r}/norb_classification_long.csv",
               "--summary-out": "{r}/norb_classification.json"},
              ["seed", "norb.classifier", *scale_keys("norb"), *EVAL_RUNTIME], metrics=frozenset({"--summary-out"}),
              threads=2, mem_mb=8000, runtime_min=120, variants=ALL_VARIANTS))
    return stages


def _chairs() -> list[Stage]:
    meshes = "{raw}/chairs/procedural"  # source "meshes"/"authors_renders" read chairs.data.mesh_dir/renders_dir
    raw_stages = [Stage("chairs_meshes", "stages.chairs_meshes", {}, {"--out": meshes},
                        ["chairs.data.procedural_models", "chairs.data.seed"], dir_outs=frozenset({"--out"}),
                        runtime_min=30)]
    build = Stage("chairs_build", "stages.chairs_build", {"--procedural-dir": meshes},
                  {"--train-out": "{d}/processed/chairs/train.h5", "--test-out": "{d}/processed/chairs/test.h5",
                   "--summary-out": "{r}/chairs_data.json"}, ["chairs.data"], args=["--threads", "2"],
                  metrics=frozenset({"--summary-out"}), threads=2, mem_mb=8000, runtime_min=120)
    return _object_dataset("chairs", raw_stages, build)


def _paper() -> list[Stage]:
    """Cross-dataset probes, the KTH few-shot curve (Fig. 8) and the one-folder paper report."""
    d = "{d}/models"
    leak_deps = {"--mnist-model": f"{d}/mnist/drnet.pt", "--mnist-store": "{d}/processed/mnist/test.h5",
                 "--norb-model": f"{d}/norb/drnet.pt", "--norb-store": "{d}/processed/norb/test.h5",
                 "--norb-noadv-model": f"{d}/norb/drnet_noadv.pt", "--norb-noadv-store": "{d}/processed/norb/test.h5",
                 "--chairs-model": f"{d}/chairs/drnet.pt", "--chairs-store": "{d}/processed/chairs/test.h5",
                 "--chairs-noadv-model": f"{d}/chairs/drnet_noadv.pt",
                 "--chairs-noadv-store": "{d}/processed/chairs/test.h5",
                 "--kth-model": f"{d}/kth/drnet.pt", "--kth-store": "{d}/processed/kth/test.h5"}
    report_deps = {
        "--mnist-swap": "{r}/mnist/swap.png", "--mnist-generation": "{r}/mnist/generation.png",
        "--mnist-generation-gif": "{r}/mnist/generation.gif", "--kth-generation-gif": "{r}/kth/generation.gif",
        "--kth-classifier": "{r}/kth_classifier.json",
        "--mnist-probe": "{r}/mnist_probe.json", "--mnist-disentanglement": "{r}/mnist_disentanglement.md",
        "--norb-disentanglement": "{r}/norb_disentanglement.md",
        "--chairs-disentanglement": "{r}/chairs_disentanglement.md", "--norb-swap": "{r}/norb/swap.png",
        "--kth-disentanglement": "{r}/kth_disentanglement.md",
        "--norb-swap-noadv": "{r}/norb/swap_noadv.png", "--norb-table": "{r}/norb_classification.csv",
        "--chairs-swap": "{r}/chairs/swap.png", "--chairs-swap-noadv": "{r}/chairs/swap_noadv.png",
        "--kth-swap": "{r}/kth/swap.png", "--kth-generation": "{r}/kth/generation.png",
        "--kth-fewshot": "{r}/kth/fewshot.png", "--kth-inception": "{r}/kth/inception.png",
        "--kth-inception-csv": "{r}/kth_inception.csv", "--kth-neighbours": "{r}/kth/neighbours.png",
        "--leakage-table": "{r}/leakage.csv",
        "--kth-prediction": "{r}/kth_prediction.md", "--kth-prediction-plot": "{r}/kth/prediction.png",
        "--mnist-prediction": "{r}/mnist_prediction.md", "--mnist-prediction-plot": "{r}/mnist/prediction.png",
        "--mnist-data": "{r}/mnist_data.json", "--norb-data": "{r}/norb_data.json",
        "--chairs-data": "{r}/chairs_data.json", "--kth-data": "{r}/kth_data.json",
    }
    return [
        Stage("kth_fewshot", "stages.kth_fewshot",
              {"--drnet": f"{d}/kth/drnet.pt", "--ae": f"{d}/kth/ae.pt", "--train": "{d}/processed/kth/train.h5",
               "--test": "{d}/processed/kth/test.h5"},
              {"--csv-out": "{r}/kth_fewshot.csv", "--plot-out": "{r}/kth/fewshot.png",
               "--summary-out": "{r}/kth_fewshot.json"}, ["seed", "kth.fewshot", *scale_keys("kth"), *EVAL_RUNTIME],
              metrics=frozenset({"--summary-out"}), threads=2, mem_mb=8000, runtime_min=240),
        Stage("leakage", "stages.leakage", leak_deps, {"--csv-out": "{r}/leakage.csv", "--summary-out":
              "{r}/leakage.json"}, ["seed", "leakage", *scale_keys(*DATASETS), *EVAL_RUNTIME],
              metrics=frozenset({"--summary-out"}), threads=2, mem_mb=8000, runtime_min=120),
        Stage("paper_report", "stages.paper_report", report_deps,
              {"--out": "{r}/paper", "--html-out": "{r}/paper_report.html"},
              ["seed", *scale_keys(*DATASETS)],
              dir_outs=frozenset({"--out"}), runtime_min=10),
    ]


def registry() -> list[Stage]:
    """Every stage, in the order the front doors list them."""
    return [*_mnist(), *_kth(), *_norb(), *_chairs(), *_paper()]


# Final targets (Snakemake's `all`/`paper`/`demo`/`proof`/`proof_kth` rules and the demo command): the paper
# report needs every table and figure, so it pulls in the whole DAG; the proof runs are MNIST and NORB
# (`proof`) and KTH (`proof_kth`), each sized for 90 minutes on 2 cores, in the proof variant.
TARGET_STAGES = {"paper": ["paper_report"], "demo": ["paper_report"],
                 "proof": ["mnist_disentangle", "mnist_figures", "mnist_generate", "mnist_prediction",
                           "norb_classification", "norb_disentangle", "norb_figures", "norb_figures_noadv"],
                 "proof_kth": ["kth_disentangle", "kth_figures", "kth_generate", "kth_inception", "kth_prediction"]}
TARGET_VARIANT = {"proof_kth": "proof"}  # a target's variant, where it is not the target's own name


@dataclass(frozen=True)
class Job:
    """A stage bound to a variant: concrete name, paths and command."""

    stage: Stage
    variant: str

    @property
    def name(self) -> str:
        return self.stage.name if self.variant == "paper" else f"{self.variant}_{self.stage.name}"

    def path(self, template: str) -> str:
        d, r = ("data", "results") if self.variant == "paper" else (f"data/{self.variant}", f"results/{self.variant}")
        return template.format(d=d, r=r, raw=f"{d}/raw")

    def deps(self) -> dict[str, str]:
        return {flag: self.path(p) for flag, p in self.stage.deps.items()
                if self.variant == "paper" or flag not in self.stage.paper_only_deps}

    def outs(self) -> dict[str, str]:
        return {flag: self.path(p) for flag, p in self.stage.outs.items()}

    def persist(self) -> dict[str, str]:
        return {flag: self.path(p) for flag, p in self.stage.persist.items()}

    @property
    def threads(self) -> int:
        """The proof run and the demo give every job one thread, so that two jobs run side by side on a 2-core
        machine: their training steps are too small to gain from a second intra-op thread (the demo's training
        jobs ran on one intra-op thread anyway: two cores less one loader worker), and a rule's threads are what
        Snakemake schedules by (it also sets OMP_NUM_THREADS, which caps torch in every stage). Stages that fan out
        their own worker processes (``--threads`` in their arguments) keep theirs."""
        if self.variant == "paper" or "--threads" in self.stage.args:
            return self.stage.threads
        return 1

    def params(self, raw_params: dict) -> list[str]:
        """Params keys for DVC: the paper keys, plus their overlay keys (demo./proof.) that exist in params.yaml."""
        keys = list(self.stage.params)
        if self.variant != "paper":
            keys += [f"{self.variant}.{k}" for k in self.stage.params if _has(raw_params.get(self.variant, {}), k)]
        return keys

    def command(self) -> str:
        parts = ["python", "-m", self.stage.module, "--variant", self.variant, *self.stage.args]
        for flag, path in {**self.deps(), **self.outs(), **self.persist()}.items():
            parts += [flag, path]
        return " ".join(parts)


def _has(tree: dict, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


def jobs() -> list[Job]:
    """Every stage in each of its variants."""
    return [Job(s, v) for s in registry() for v in ALL_VARIANTS if v in s.variants]


def targets(target: str) -> list[str]:
    """The outputs of a target's final stages (``TARGET_STAGES``: Snakemake's rules of that name, the demo)."""
    variant = TARGET_VARIANT.get(target, target)
    return [p for job in jobs() if job.variant == variant and job.stage.name in TARGET_STAGES[target]
            for p in job.outs().values()]
