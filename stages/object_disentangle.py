"""Stage: NORB / chairs disentanglement by swapping, with and without the adversarial term.

Readers trained on real frames read D(Ec(A), Ep(B)): content transfer = A's object (NORB category, chair model;
reader trained on the test split's objects), pose transfer = B's azimuth (reader trained on the test split's and
the training split's frames); each beside chance and the reader's accuracy on held-out real test frames.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.object_disentangle import object_model_swap, object_readers, object_rows, object_swap_table
from drnet.io import atomic_write_json
from drnet.report.experiment_tables import write_swap_table
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, stage_main, stage_parser

CONTENT = {"norb": "category", "chairs": "model"}


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--dataset", required=True, choices=sorted(CONTENT))
    for flag in ("--drnet", "--drnet-noadv", "--train", "--test", "--csv-out", "--md-out", "--summary-out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = params[args.dataset]["disentangle"]
    store = VideoStore(args.test, dataset=args.dataset)
    train = VideoStore(args.train, dataset=args.dataset)
    ctx = eval_context(params.get("runtime", {}))  # the readers train there, the swaps run there
    readers = object_readers(store, CONTENT[args.dataset], params["seed"], cfg["reader_width"], cfg["reader_epochs"],
                             pose_store=train, device=ctx.device)
    results, rows = {}, []
    for name, path in (("DrNet", args.drnet), ("DrNet without adversarial term", args.drnet_noadv)):
        model, _ = load_model(path, kinds=("drnet",), device=ctx.device)
        r = object_swap_table(object_model_swap(model, store), store, CONTENT[args.dataset], cfg["n_pairs"],
                              params["seed"], readers=readers)
        results[name] = r
        rows += object_rows(name, r, CONTENT[args.dataset])
    data = "SYNTHETIC" if store.synthetic else "official"
    caption = (f"{args.dataset.upper()} disentanglement by swapping ({data} data, {results['DrNet']['n_pairs']} "
               f"test pairs of different objects). Readers trained on real frames (object: the test split's; "
               f"azimuth: the test and training splits'); 'on real frames' = their accuracy on held-out real test "
               f"frames.")
    markdown = write_swap_table(rows, args.csv_out, args.md_out, caption)
    atomic_write_json(args.summary_out, {"models": results, "synthetic": store.synthetic})
    announce(args.csv_out, args.md_out, args.summary_out)
    print(markdown)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
