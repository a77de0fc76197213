"""What the paper report shows: one Item per figure or table, with the paper figure it reproduces and its caption.

Plain data (no heavy imports): ``drnet.report.paper`` builds the report from it and ``stages/dag.py`` writes
the Snakemake report's per-output captions from the same captions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    flag: str
    title: str
    paper: str       # what it reproduces in the paper (or "beyond the paper")
    dataset: str
    caption: str
    kind: str        # png | gif | table (a stage's .md/.html tables) | csv | probe | json


SWAP = ("Each row takes its CONTENT from the frame at its left, each column its POSE from the frame at its top "
        "(another held-out clip); cell = decoder(content of the row, pose of the column).")
PREDICTION = ("PSNR/SSIM of every predicted frame against the real one, mean and 95% CI over a fixed test manifest "
              "(its sha256 in the caption), under a protocol of the later literature (SVG, SRVP, OpenSTL); where the "
              "run differs from the protocol (frame size, data, split, windows) the caption says how.")
ITEMS = [
    Item("--mnist-swap", "Moving MNIST: content/pose swap", "Fig. 3 (left)", "mnist", SWAP, "png"),
    Item("--mnist-generation", "Moving MNIST: long-range generation", "Fig. 3 (right)", "mnist",
         "One held-out clip per row: the observed frames, then the frames generated from them (pose LSTM, content "
         "fixed from the last observed frame) at growing offsets, labelled above each column.", "png"),
    Item("--mnist-generation-gif", "Moving MNIST: generation (animated)", "Fig. 3 (right)", "mnist",
         "Held-out clips side by side over time; green bar: observed frames, red bar: generated.", "gif"),
    Item("--mnist-disentanglement", "Moving MNIST: disentanglement by swapping", "beyond the paper", "mnist",
         "Readers trained on real digits read D(Ec(A), Ep(B)) and LSTM generations: content transfer, pose "
         "transfer (position error) and identity kept over time, each beside chance and the reader's ceiling.",
         "table"),
    Item("--mnist-probe", "Moving MNIST: linear probes", "beyond the paper", "mnist",
         "Digit identity and position read off content and pose vectors by a linear probe (test frames).", "probe"),
    Item("--norb-swap", "NORB: content/pose swap", "Fig. 4 (left)", "norb",
         "DrNet with the adversarial term. " + SWAP, "png"),
    Item("--norb-swap-noadv", "NORB: swap without the adversarial term", "Fig. 4 (centre)", "norb",
         "The same model trained with adversarial weight 0: pose vectors are no longer free of content. " + SWAP,
         "png"),
    Item("--norb-disentanglement", "NORB: disentanglement by swapping", "beyond the paper", "norb",
         "Category and azimuth readers trained on real frames read D(Ec(A), Ep(B)), with and without the "
         "adversarial term.", "table"),
    Item("--chairs-disentanglement", "Chairs: disentanglement by swapping", "beyond the paper", "chairs",
         "Chair-model and azimuth readers trained on real frames read D(Ec(A), Ep(B)).", "table"),
    Item("--kth-disentanglement", "KTH: person kept and motion", "beyond the paper", "kth",
         "A person reader trained on real frames reads swaps and generated frames; motion of generated vs real "
         "continuations (a frozen generation reads 0).", "table"),
    Item("--norb-table", "NORB object classification", "Table 1", "norb",
         "2-layer MLP on content or pose vectors, with and without the adversarial term. Chance 20%.", "table"),
    Item("--chairs-swap", "Chairs: content/pose swap", "Fig. 5", "chairs",
         "Content is the chair model, pose the azimuth/elevation. " + SWAP, "png"),
    Item("--chairs-swap-noadv", "Chairs: swap without the adversarial term", "Fig. 5 (ablation)", "chairs",
         "The same model trained with adversarial weight 0. " + SWAP, "png"),
    Item("--kth-swap", "KTH: content/pose swap", "Fig. 7 (style)", "kth",
         "Content is the person and background, pose the body configuration. " + SWAP, "png"),
    Item("--kth-generation", "KTH: long-range generation", "Fig. 6 / Fig. 7", "kth",
         "One held-out clip per row: the observed frames, then DrNet's generation at growing offsets.", "png"),
    Item("--kth-generation-gif", "KTH: generation (animated)", "Fig. 6 / Fig. 7", "kth",
         "Held-out clips side by side over time; green bar: observed frames, red bar: generated.", "gif"),
    Item("--kth-fewshot", "KTH: actions from few labelled subjects", "Fig. 8", "kth",
         "Action classifier on 24-step pose sequences vs the autoencoder baseline; dashed line: the paper's "
         "published fully supervised state of the art (93.9%), not a number of this run.", "png"),
    Item("--kth-inception", "KTH: Inception score and motion over time", "Fig. 9", "kth",
         "Left: IS of generated video (action classifier as the Inception network) against the offset from the "
         "conditioning frames; ground truth, DrNet and AE-LSTM are scored on the same clips at every offset. "
         "Right: motion, the mean absolute frame-to-frame change (0-1 intensity): a frozen generation reads ~0.",
         "png"),
    Item("--kth-inception-csv", "KTH: Inception score and motion table", "Fig. 9 (numbers)", "kth",
         "Mean IS (std over parts), motion and the number of scored frames per model and offset.", "csv"),
    Item("--kth-neighbours", "KTH: nearest training neighbours of generated frames", "Fig. 10", "kth",
         "Each row: a frame DrNet generated (first column, offset labelled) and its 5 nearest training frames "
         "(pixel distance): generation is not memorisation. Generated frames with nothing in view (near-empty: pixel "
         "std below 2% of the range) are left out; the image says how many, or marks them when every frame is. "
         "A figure leaving a textured background is not caught by this test.",
         "png"),
    Item("--kth-classifier", "KTH: the Inception network (action classifier)", "Fig. 9 (scorer)", "kth",
         "The single-frame action classifier that scores Fig. 9, on real test-person frames.", "json"),
    Item("--mnist-prediction", "Moving MNIST: prediction metrics", "beyond the paper", "mnist",
         PREDICTION + " Rows: copy-last-frame, DrNet, ground truth (SSIM's ceiling).", "table"),
    Item("--mnist-prediction-plot", "Moving MNIST: PSNR/SSIM per predicted step", "beyond the paper", "mnist",
         PREDICTION, "png"),
    Item("--kth-prediction", "KTH: prediction metrics", "beyond the paper", "kth",
         PREDICTION + " Rows: copy-last-frame, AE-LSTM, DrNet, ground truth (SSIM's ceiling).", "table"),
    Item("--kth-prediction-plot", "KTH: PSNR/SSIM per predicted step", "beyond the paper", "kth", PREDICTION, "png"),
    Item("--leakage-table", "Leakage probes across datasets", "beyond the paper", "all",
         "Clip identity from pose and the pose factor from content (linear probes): both should be near chance.",
         "table"),
]
