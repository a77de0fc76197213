"""Stage: KTH disentanglement: the content clip's person in swaps and generations, and motion over time.

A person reader trained on real test frames reads D(Ec(A), Ep(B)) and the LSTM's generated frames; motion of
generated vs real continuations shows whether a generation moves or freezes.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.kth_disentangle import kth_table
from drnet.io import atomic_write_json
from drnet.report.experiment_tables import write_swap_table
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for flag in ("--drnet", "--lstm", "--test", "--csv-out", "--md-out", "--summary-out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = params["kth"]["disentangle"]
    store = VideoStore(args.test, dataset="kth")
    ctx = eval_context(params.get("runtime", {}))  # the models, the person reader and every pass run there
    drnet, _ = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    lstm, lstm_state = load_model(args.lstm, kinds=("lstm",), device=ctx.device)
    rows = kth_table(drnet, lstm, store, lstm_state["extra"]["n_past"], cfg["offsets"], cfg["n_clips"],
                     cfg["n_pairs"], params["seed"], cfg["reader_width"], cfg["reader_epochs"])
    caption = (f"KTH disentanglement ({'SYNTHETIC' if store.synthetic else 'official'} data): person reader trained "
               f"on real test frames; motion = mean frame-to-frame change (0 = frozen).")
    markdown = write_swap_table(rows, args.csv_out, args.md_out, caption)
    atomic_write_json(args.summary_out, {"rows": rows, "synthetic": store.synthetic})
    announce(args.csv_out, args.md_out, args.summary_out)
    print(markdown)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
