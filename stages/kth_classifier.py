"""Stage: train the KTH action classifier on real train-split frames; it scores generations (Inception score).

Single frames by default (kth.classifier.clip_len = 1): generated frames are scored one by one at each time
offset, so the classifier must judge a single frame; a clip classifier would also reward motion it cannot see
in one generated frame. Its test accuracy on the held-out persons is reported in the summary JSON.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import save_checkpoint
from drnet.data.store import VideoStore
from drnet.eval.action_classifier import action_accuracy, fit_action_classifier, model_file
from drnet.io import atomic_write_json
from drnet.params import KTH_ACTIONS, Runtime, params_hash, section
from drnet.runtime.context import setup
from stages.cli import announce, load_stage_params, stage_main, stage_parser


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
    ctx = setup(Runtime(**params.get("runtime", {})))  # under torchrun: DDP over the ranks, rank 0 writes
    model, history, n_train = fit_action_classifier(train, cfg, params["seed"], ctx)
    if not ctx.is_main:
        return
    accuracy, n_test = action_accuracy(model, test, cfg, params["seed"], ctx)
    recorded = params["kth"]["classifier"]
    save_checkpoint(args.model_out, modules={"classifier": model}, optimizers={}, step=len(history),
                    params=recorded, params_hash=params_hash(recorded), extra=model_file(train, cfg))
    chance = 1 / len(KTH_ACTIONS)
    atomic_write_json(args.summary_out, {
        "test_accuracy": accuracy, "chance": chance, "n_train": n_train, "n_test": n_test,
        "epochs": len(history), "input": f"{cfg.clip_len} frame(s)", "synthetic": test.synthetic,
        "data_source": test.attrs.get("source")})
    announce(args.model_out, args.summary_out)
    print(f"action classifier test accuracy: {accuracy:.3f} (chance {chance:.3f})")


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
