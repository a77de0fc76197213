"""Stage: Inception score over time of generated KTH video (paper Figure 9) and nearest neighbours (Figure 10).

DrNet and AE-LSTM continue n_past observed test frames to kth.inception.max_offset; the action classifier scores
every ``every``-th offset's window beside the real continuation of the same clips: IS (mean, std over n_splits
parts) and motion (a frozen generation reads ~0; drnet.eval.inception_curve). Writes the CSV, the IS/motion plot
and the nearest training neighbours of DrNet's generated frames.
"""

from __future__ import annotations

import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.eval.inception_curve import Continuations, inception_table
from drnet.eval.neighbours import generated_neighbours
from drnet.io import atomic_write_text
from drnet.params import section
from drnet.report.images import save_png
from drnet.report.neighbours import neighbours_figure
from drnet.report.plots import inception_plot, scorer_note
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    for flag in ("--drnet", "--drnet-lstm", "--ae", "--ae-lstm", "--classifier", "--train", "--test"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--classifier-summary", default=None, help="the classifier's JSON (its test accuracy)")
    for flag in ("--csv-out", "--plot-out", "--neighbours-out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    cfg = section(params, "kth").inception
    ctx = eval_context(params.get("runtime", {}))  # generation, scoring and the neighbour search run there
    classifier = load_model(args.classifier, kinds=("classifier",), device=ctx.device)[0]
    test = VideoStore(args.test, dataset="kth")
    lstm, state = load_model(args.drnet_lstm, kinds=("lstm",), device=ctx.device)
    clips = Continuations.from_store(test, state["extra"]["n_past"], cfg, params["seed"])
    rows, generated, trained = [], {}, {}
    for name, model_path, lstm_path in (("drnet", args.drnet, args.drnet_lstm), ("ae_lstm", args.ae, args.ae_lstm)):
        model, model_state = load_model(model_path, kinds=("ae",) if name == "ae_lstm" else ("drnet",),
                                        device=ctx.device)
        lstm, _ = load_model(lstm_path, kinds=("lstm",), device=ctx.device)
        generated[name], trained[name] = clips.generate(model, lstm), model_state["params"]
        rows += clips.score(name, clips.after_observed(generated[name]), classifier)
    table = inception_table(rows + clips.score("ground_truth", clips.real, classifier), test.synthetic)
    atomic_write_text(args.csv_out, table.to_csv(index=False))
    stamp = scale_note(trained["drnet"], paper_section(args.params, "kth"), test.attrs.get("source"), test.synthetic)
    inception_plot(table, args.plot_out, stamp=stamp, scorer=scorer_note(args.classifier_summary))
    train = VideoStore(args.train, dataset="kth")  # every training frame is searched, read chunk by chunk
    bank = train.file["frames"]
    found = generated_neighbours(generated["drnet"], bank, cfg.max_offset, device=ctx.device)
    save_png(args.neighbours_out, neighbours_figure(found.labels, found.queries, found.indices, bank, note=found.note,
                                                    stamp=stamp))
    announce(args.csv_out, args.plot_out, args.neighbours_out)
    print(table.to_string(index=False))


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
