"""Writing the bouncing-MNIST train/test stores (stage ``mnist_build``) from the IDX digits or scikit-learn's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drnet.data.mnist.bouncing import BouncingMnist
from drnet.data.mnist.digits import load_sklearn_digits
from drnet.data.mnist.idx import MNIST_FILES, load_idx_digits
from drnet.errors import DrnetError


def build_split(
    out_path: str | Path,
    split: str,
    data_cfg,
    seed: int,
    raw_dir: str | Path | None = None,
) -> Path:
    """Generate the bouncing-MNIST ``split`` and write it as a video store (atomic).

    Clip ``i`` of a split is drawn from ``np.random.default_rng([seed, split_id, i])``, so the test set is fixed
    and training clips are reproducible per seed, independent of how many clips are generated.
    """
    from drnet.data.store import VideoStoreWriter
    from drnet.io import file_digest

    if data_cfg.source == "idx":
        if raw_dir is None:
            raise DrnetError("mnist.data.source is 'idx' but no raw folder was given (--raw data/raw/mnist)")
        digits, labels = load_idx_digits(raw_dir, split, data_cfg.digit_size)
        checksums = {
            f.name: "sha256:" + file_digest(Path(raw_dir) / f.name)
            for key, f in MNIST_FILES.items() if key.startswith("train" if split == "train" else "test")
        }
        synthetic = False
    else:
        digits, labels = load_sklearn_digits(split, data_cfg.digit_size)
        checksums, synthetic = {}, True
    n_seq = data_cfg.train_sequences if split == "train" else data_cfg.test_sequences
    split_id = {"train": 0, "test": 1}[split]
    size = data_cfg.image_size
    attrs = {"seed": seed, "seq_len": data_cfg.seq_len, "num_digits": data_cfg.num_digits,
             "digit_size": data_cfg.digit_size,
             "note": "bouncing MNIST: digit i drawn in colour channel i; synthetic=True means the digits are "
                     "scikit-learn's embedded 8x8 digits, not the official MNIST"}
    source = BouncingMnist(digits, labels, size, data_cfg.num_digits, data_cfg.max_speed)
    attrs["max_speed"] = data_cfg.max_speed
    with VideoStoreWriter(out_path, dataset="mnist", split=split, source=data_cfg.source, synthetic=synthetic,
                          frame_shape=(size, size, 3), raw_checksums=checksums, attrs=attrs) as writer:
        writer.add_array("digits", digits)  # the split's digit bank: fresh training clips are drawn from it
        writer.add_array("digit_labels", labels)
        for i in range(n_seq):
            clip = source.draw(np.random.default_rng([seed, split_id, i]))
            frames, positions = source.render(clip, np.arange(data_cfg.seq_len))
            meta = {f"digit_{j}": int(labels[k]) for j, k in enumerate(clip["ids"])}
            meta.update({f"source_index_{j}": int(k) for j, k in enumerate(clip["ids"])})
            writer.add(frames, frame_meta={"position": positions}, front=clip["front"], **meta)
    return Path(out_path)
