"""Stage: train the KTH action classifier on real train-split frames; it scores generations (Inception score).

Single frames by default (kth.classifier.clip_len = 1): generated frames are scored one by one at each time
offset, so the classifier must judge a single frame; a clip classifier would also reward motion it cannot see
in one generated frame. Its test accuracy on the held-out persons is reported in the summary JSON.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.classifiers import evaluate_accuracy, fit_classifier, frames_to_input
from drnet.io import atomic_write_json
from drnet.models.classifiers import ActionClassifier
from drnet.params import KTH_ACTIONS, Runtime, section
from drnet.train import checkpoint as ckpt
from drnet.train.runtime import setup


def sample_clips(store: VideoStore, n: int, clip_len: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random clips of clip_len frames with action labels: (uint8 [n, clip_len, H, W, C], int64 [n])."""
    rng = np.random.default_rng(seed)
    actions = store.meta("action")
    seqs = rng.choice(np.flatnonzero(store.length >= clip_len), size=n)
    t0 = (rng.random(n) * (store.length[seqs] - clip_len + 1)).astype(np.int64)
    clips = np.stack([store.frames(int(q), int(t), clip_len) for q, t in zip(seqs, t0)])
    labels = np.array([KTH_ACTIONS.index(a) for a in actions[seqs]], dtype=np.int64)
    return clips, labels


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--summary-out", required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "kth").classifier
    train, test = VideoStore(args.train, dataset="kth"), VideoStore(args.test, dataset="kth")
    if len(set(train.meta("action"))) < len(KTH_ACTIONS):
        raise DrnetError(f"{args.train} does not hold all six KTH actions; rebuild it with every action")
    n_train = min(cfg.steps * cfg.batch_size, 20000)  # one pass of fresh frames per step budget
    x, y = sample_clips(train, n_train, cfg.clip_len, params["seed"])
    x_test, y_test = sample_clips(test, min(2000, 10 * len(test)), cfg.clip_len, params["seed"] + 1)
    h, _, c = train.frame_shape
    ctx = setup(Runtime(**params.get("runtime", {})))  # under torchrun: DDP over the ranks, rank 0 writes
    torch.manual_seed(params["seed"])
    model = ActionClassifier(c, len(KTH_ACTIONS), cfg.width, cfg.clip_len, h)
    model, history = fit_classifier(model, x, y, batch_size=cfg.batch_size, lr=cfg.lr, seed=params["seed"],
                                    max_epochs=10, steps_per_epoch=max(1, cfg.steps // 10), patience=3,
                                    transform=frames_to_input, device=ctx.device, ctx=ctx)
    if not ctx.is_main:
        return
    accuracy = evaluate_accuracy(model, x_test, y_test, transform=frames_to_input, device=ctx.device)
    ckpt.save_torch({"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "channels": c,
                "width": cfg.width, "clip_len": cfg.clip_len, "image_size": h, "classes": list(KTH_ACTIONS)},
               args.model_out)
    atomic_write_json(args.summary_out, {
        "test_accuracy": accuracy, "chance": 1 / len(KTH_ACTIONS), "n_train": len(x), "n_test": len(x_test),
        "epochs": len(history), "input": f"{cfg.clip_len} frame(s)", "synthetic": test.synthetic,
        "data_source": test.attrs.get("source")})
    announce(args.model_out, args.summary_out)
    print(f"action classifier test accuracy: {accuracy:.3f} (chance {1 / len(KTH_ACTIONS):.3f})")


CLASSIFIER_KEYS = {"state_dict": dict, "channels": int, "width": int, "clip_len": int, "image_size": int,
                   "classes": list}


def load_classifier(path: str) -> ActionClassifier:
    """The action classifier written by this stage (weights only, no code runs); one-line errors on bad files."""
    state = ckpt.load_weights(path, "action classifier file")
    ckpt.require(state, CLASSIFIER_KEYS, path, "KTH action classifier file (written by stages.kth_classifier)")
    sizes = {k: state[k] for k in ("channels", "width", "clip_len", "image_size")}
    if not state["classes"] or not all(1 <= v <= 4096 for v in sizes.values()):
        raise DrnetError(f"{path}: the action classifier file records no classes or sizes out of range ({sizes}); "
                         f"delete it and re-run the kth_classifier stage")
    try:
        model = ActionClassifier(state["channels"], len(state["classes"]), state["width"], state["clip_len"],
                                 state["image_size"])
    except ValueError as exc:
        raise DrnetError(f"{path}: {exc}; delete it and re-run the kth_classifier stage") from None
    ckpt.load_state_dict_checked(model, state["state_dict"], path, "the action classifier's weights")
    return model.eval()


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
