"""params.yaml: the typed schema, loading, overlays (variants, ablations), overrides and tracking.

Every knob of the pipeline lives in ``params.yaml``; one section per dataset, each with sub-sections per stage.
The ``demo``/``proof`` top-level sections are overlays deep-merged over the paper defaults when a stage runs with
``--variant demo``/``proof``. Validation refuses unknown keys and out-of-range values with one line naming the
key and what is allowed.

- ``schema``: one pydantic model per section, ``Params`` for the whole file
- ``text``: safe YAML reading (no code, aliases or duplicate keys) and short echoes of values in errors
- ``validate``: validation with one-line errors; ``section`` (the typed view of one section)
- ``overlay``: variant overlays and named ablations; ``overrides``: ``--set section.key=value``
- ``load``: ``load_params`` (read, validate, overlay, override, validate again)
- ``tracking``: the params keys a training run reads, their values and hash (resume keys, provenance)

Import the public names (every schema type and the functions below) from ``drnet.params``.
"""

from drnet.params.load import load_params, load_raw
from drnet.params.overlay import deep_merge, resolve, with_ablation
from drnet.params.overrides import apply_overrides
from drnet.params.schema import (
    DATASETS,
    KTH_ACTIONS,
    SEED_MAX,
    VARIANTS,
    Ablation,
    Ablations,
    ActionClassifier,
    AeBaseline,
    Chairs,
    ChairsData,
    Download,
    DrnetModel,
    DrnetTrain,
    FewShot,
    FvdWeights,
    Generate,
    Inception,
    Kth,
    KthData,
    KthSwapEval,
    KthSynthetic,
    Leakage,
    LpipsWeights,
    LstmModel,
    LstmTrain,
    Mnist,
    MnistData,
    Norb,
    NorbData,
    NorbSynthetic,
    ObjectClassifier,
    ObjectSwapEval,
    Params,
    Prediction,
    PredictionProtocol,
    Probe,
    Runtime,
    SwapEval,
    WeightFile,
)
from drnet.params.text import safe_yaml
from drnet.params.tracking import lookup, params_hash, tracked_params, training_keys
from drnet.params.validate import section, validate

__all__ = [
    "DATASETS",
    "KTH_ACTIONS", "SEED_MAX", "VARIANTS", "Ablation", "Ablations", "ActionClassifier", "AeBaseline", "Chairs",
    "ChairsData", "Download", "DrnetModel", "DrnetTrain", "FewShot", "FvdWeights", "Generate", "Inception", "Kth",
    "KthData", "KthSwapEval", "KthSynthetic", "Leakage", "LpipsWeights", "LstmModel", "LstmTrain", "Mnist",
    "MnistData", "Norb", "NorbData", "NorbSynthetic", "ObjectClassifier", "ObjectSwapEval", "Params", "Prediction",
    "PredictionProtocol", "Probe", "Runtime", "SwapEval", "WeightFile", "apply_overrides", "deep_merge", "load_params",
    "load_raw", "lookup", "params_hash", "resolve", "safe_yaml", "section", "tracked_params", "training_keys",
    "validate", "with_ablation",
]
