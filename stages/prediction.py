"""Stage: prediction metrics as the later literature scores them: per-frame PSNR/SSIM against the real frames.

The protocol (``prediction.<dataset>``, a name in ``prediction.protocols``) says how many frames are observed and
predicted; a fixed test manifest (windows drawn with ``prediction.seed``) is written with its sha256. Rows:
copy-last-frame, AE-LSTM (KTH), DrNet and ground truth (SSIM's and LPIPS' ceiling); mean and 95% CI per predicted
step. LPIPS v0.1 and FVD are scored too when ``prediction.lpips`` / ``prediction.fvd`` name their weight files
(sha256-checked).
Every table, figure and JSON states the protocol and how this run differs from it.
"""

from __future__ import annotations

import math
import sys

from drnet.checkpoint import load_model
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.eval.prediction import (
    averaged,
    copy_last,
    fixed_test_manifest,
    fvd_scores,
    manifest_sha256,
    metric_variants,
    model_predictor,
    per_step_table,
    protocol_differences,
    score_models,
)
from drnet.eval.weights import load_i3d, load_lpips
from drnet.io import atomic_write_json
from drnet.report.prediction import prediction_plot, protocol_line, summary_frame, write_prediction_tables
from drnet.report.scale import scale_note
from drnet.runtime.context import eval_context
from stages.cli import announce, load_stage_params, paper_section, stage_main, stage_parser

TITLES = {"kth": "KTH", "mnist": "Moving MNIST"}


def _finite(value: float) -> float | None:
    """JSON has no NaN or infinity: null (the table says n/a; PSNR of identical frames is infinite)."""
    return value if math.isfinite(value) else None


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--dataset", required=True, choices=sorted(TITLES))
    for flag in ("--drnet", "--lstm", "--test", "--csv-out", "--md-out", "--summary-out", "--manifest-out",
                 "--plot-out"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--ae", default=None, help="the AE-LSTM baseline's autoencoder (KTH)")
    parser.add_argument("--ae-lstm", default=None, help="the AE-LSTM baseline's pose LSTM (KTH)")
    args = parser.parse_args(argv)
    if (args.ae is None) != (args.ae_lstm is None):
        raise DrnetError("--ae and --ae-lstm go together (the AE-LSTM baseline); pass both or neither")
    params = load_stage_params(args)
    cfg, ds = params["prediction"], args.dataset
    name = cfg[ds]
    protocol = cfg["protocols"][name]
    store = VideoStore(args.test, dataset=ds)
    ctx = eval_context(params.get("runtime", {}))  # generation, LPIPS and I3D run there; PSNR/SSIM on the CPU
    lp = cfg["lpips"]
    lpips = (load_lpips(lp["path"], lp["sha256"], lp["backbone_path"], lp["backbone_sha256"], lp["backbone"]
                        ).to(ctx.device) if lp["path"] else None)
    fv = cfg["fvd"]
    i3d = load_i3d(fv["path"], fv["sha256"]).to(ctx.device) if fv["path"] else None
    manifest = fixed_test_manifest(store, ds, name, protocol, cfg["windows"] or protocol["windows"], cfg["seed"])
    digest = manifest_sha256(manifest)
    drnet, drnet_state = load_model(args.drnet, kinds=("drnet",), device=ctx.device)
    lstm, lstm_state = load_model(args.lstm, kinds=("lstm",), device=ctx.device)
    predictors = {"copy_last": copy_last}
    if args.ae is not None:
        predictors["ae_lstm"] = model_predictor(load_model(args.ae, kinds=("ae",), device=ctx.device)[0],
                                                load_model(args.ae_lstm, kinds=("lstm",), device=ctx.device)[0])
    predictors["drnet"] = model_predictor(drnet, lstm)
    scores = score_models(store, manifest, predictors, cfg["batch_size"], lpips=lpips, i3d=i3d,
                          include_observed=fv["include_observed"])
    fvd = fvd_scores(scores)
    data = params.get(ds, {}).get("data", {})
    differences = protocol_differences(protocol, store, len(manifest["windows"]), data.get("train_persons"),
                                       data.get("test_persons"))
    line = protocol_line(manifest, differences)
    horizon = lstm_state["extra"]["n_future"]
    rollout = (f" Steps past {horizon} (the LSTM's training horizon) are its rollout."
               if manifest["predicted"] > horizon else "")
    per_step = per_step_table(scores)
    means = averaged(scores)
    caption = (f"{TITLES[ds]} prediction: PSNR/SSIM of each predicted frame against the real one, mean ± 95% CI "
               f"over {len(manifest['windows'])} test windows (manifest sha256 {digest[:12]}). {line}{rollout}")
    markdown = write_prediction_tables(per_step, summary_frame(per_step, means, fvd), args.csv_out, args.md_out,
                                       caption, name, differences)
    atomic_write_json(args.manifest_out, {**manifest, "sha256": digest})
    stamp = scale_note(drnet_state["params"], paper_section(args.params, ds), store.attrs.get("source"),
                       store.synthetic)
    prediction_plot(per_step, args.plot_out, title=f"{TITLES[ds]}: prediction quality per step", protocol=line,
                    stamp=stamp)
    atomic_write_json(args.summary_out, {
        "dataset": ds, "protocol": name, "protocol_values": protocol, "differs_from_protocol": differences,
        "manifest_sha256": digest, "windows": len(manifest["windows"]), "lstm_training_horizon": horizon,
        "metrics": metric_variants(lp if lpips else None, fv if i3d else None), "ci": "95%, Student t over windows",
        "averaged_over_steps": {model: {m: {"mean": _finite(mean), "ci95": _finite(ci)} for m, (mean, ci) in by.items()}
                                for model, by in means.items()},
        "fvd": {model: _finite(v["fvd"]) for model, v in fvd.items()}, "synthetic": store.synthetic})
    announce(args.csv_out, args.md_out, args.manifest_out, args.plot_out, args.summary_out)
    print(markdown)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
