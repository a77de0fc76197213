"""The demo's closing summary: its headline numbers and where its report is, as lines for the terminal."""

from __future__ import annotations

from pathlib import Path

from drnet.io import read_json

PROBE_KEYS = ("data_source", "synthetic", "content_identity_acc", "pose_identity_acc", "identity_chance",
              "pose_position_acc", "content_position_acc", "position_chance")


def demo_summary(results: Path) -> list[str]:
    """Lines from the outputs present under ``results`` (e.g. results/demo): probes, the KTH classifier, Inception
    score by offset, few-shot accuracy, the NORB and leakage tables (each opens with its caption), the report."""
    lines = []
    probe = results / "mnist_probe.json"
    if probe.exists():
        p = read_json(probe, "MNIST probe JSON", PROBE_KEYS)
        lines.append(f"MNIST probes ({p['data_source']}, synthetic={p['synthetic']}): identity from content "
                     f"{p['content_identity_acc']:.1%} vs from pose {p['pose_identity_acc']:.1%} "
                     f"(chance {p['identity_chance']:.1%}); position from pose {p['pose_position_acc']:.1%} "
                     f"vs from content {p['content_position_acc']:.1%} (chance {p['position_chance']:.1%})")
    classifier = results / "kth_classifier.json"
    if classifier.exists():
        c = read_json(classifier, "KTH classifier JSON", ("synthetic", "test_accuracy", "chance"))
        lines.append(f"KTH action classifier (synthetic={c['synthetic']}): test accuracy {c['test_accuracy']:.1%} "
                     f"(chance {c['chance']:.1%})")
    inception = results / "kth_inception.csv"
    if inception.exists():
        import pandas as pd

        table = pd.read_csv(inception).pivot(index="offset", columns="model", values="inception_score")
        lines.append("KTH Inception score by offset:\n" + table.round(3).to_string())
    fewshot = results / "kth_fewshot.json"
    if fewshot.exists():
        f = read_json(fewshot, "KTH few-shot JSON")
        lines.append("KTH few-shot actions (Fig. 8): " + ", ".join(
            f"{k.replace('_acc_', ' ').replace('_', ' ')} {v:.1%}" for k, v in f.items() if "_acc_" in k))
    for name in ("norb_classification.md", "leakage.md"):  # each table's Markdown opens with its caption
        if (results / name).exists():
            lines.append((results / name).read_text().strip())
    report = results / "paper" / "index.html"
    if report.exists():
        lines.append(f"Paper report (every table and figure, with captions, provenance and scale stamps): {report} "
                     f"(and index.md). Snakemake's report: snakemake demo --report report.html; a screenshot: "
                     f"python tools/screenshot_report.py {report} paper.png")
    return lines
