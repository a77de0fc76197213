"""Stage: MNIST disentanglement by swapping: content transfer, pose transfer and identity kept over time.

A digit reader trained on real single digits reads each colour channel of D(Ec(A), Ep(B)) for test pairs (A, B)
and of LSTM generations; values come with chance and the reader's accuracy on real frames (the ceiling).
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval import mnist_disentangle as dis
from drnet.eval.readers import train_digit_reader
from drnet.io import atomic_write_json
from drnet.params import section
from drnet.report.experiment_tables import write_swap_table
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for flag in ("--drnet", "--lstm", "--train", "--test", "--csv-out", "--md-out", "--summary-out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg, seed = section(params, "mnist").disentangle, params["seed"]
    train, test = VideoStore(args.train), VideoStore(args.test)
    ctx = eval_context(params.get("runtime", {}))  # the digit reader trains there, the swaps run there
    reader, reader_acc = train_digit_reader(train, test, cfg.reader_steps, cfg.reader_batch, seed, cfg.reader_width,
                                            device=ctx.device)
    drnet, _ = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    lstm, lstm_state = load_model(args.lstm, kinds=("lstm",), device=ctx.device)
    source, truths = dis.test_truth(test, seed)
    pairs = dis.swap_pairs(test, truths, source, cfg.n_pairs, seed)
    swap = dis.mnist_swap_table(dis.model_swap(drnet, source, truths), pairs, truths, source, reader)
    over_time = dis.mnist_over_time(drnet, lstm, truths, source, reader, lstm_state["extra"]["n_past"],
                                    cfg.offsets, cfg.n_clips, int(test.length.min()))
    rows = dis.mnist_rows(swap, over_time)
    scale = "SYNTHETIC digits (scikit-learn's embedded 8x8 set)" if test.synthetic else "official MNIST"
    caption = (f"MNIST disentanglement by swapping ({scale}; {test.frame_shape[0]} px frames). "
               f"Reader accuracy on real test digits: {100 * reader_acc:.1f}%.")
    markdown = write_swap_table(rows, args.csv_out, args.md_out, caption)
    atomic_write_json(args.summary_out, {**swap, "reader_acc_test_digits": reader_acc,
                                         "over_time": over_time, "synthetic": test.synthetic,
                                         "image_size": test.frame_shape[0]})
    announce(args.csv_out, args.md_out, args.summary_out)
    print(markdown)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
