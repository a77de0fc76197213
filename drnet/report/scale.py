"""Scale stamps: what a figure or table was made from (training steps and widths against the paper's, and data).

A demo run trains tiny models on embedded or synthetic data; its figures and tables must say so on themselves,
not only in the report around them. ``scale_note`` builds the stamp text from a trained model's own params (the
ones in its model file) against the paper-scale params, which the caller passes in (a stage reads them from its
params file); it is empty at paper scale on real data.
"""

from __future__ import annotations

from collections.abc import Mapping

# (section path in the model file's params, label): the knobs that set a run's scale
SCALE_KEYS = ((("train", "steps"), "steps"), (("model", "width"), "width"))


def _get(tree: Mapping, path: tuple[str, ...]):
    for part in path:
        if not isinstance(tree, Mapping) or part not in tree:
            return None
        tree = tree[part]
    return tree


def scale_note(trained: Mapping | None, paper: Mapping | None, source: str | None, synthetic: bool) -> str:
    """'' at paper scale on real data; else e.g.
    ``REDUCED SCALE: 400 steps (paper 60000), width 8 (paper 64); data: SYNTHETIC (kth synthetic)``.

    ``trained``: the params a model file records ({"model": ..., "train": ...}); ``paper``: the dataset's
    paper-scale section.
    """
    parts = []
    for path, label in SCALE_KEYS:
        have, want = _get(trained or {}, path), _get(paper or {}, path)
        if have is not None and want is not None and have != want:
            parts.append(f"{label} {have:g} (paper {want:g})" if label != "steps" else
                         f"{have:g} steps (paper {want:g})")
    notes = []
    if parts:
        notes.append("REDUCED SCALE: " + ", ".join(parts))
    if synthetic:
        notes.append(f"data: SYNTHETIC stand-in, not the real dataset (source: {source or 'unknown'})")
    return "; ".join(notes)


def short_scale(trained: Mapping | None, paper: Mapping | None, synthetic: bool) -> str:
    """The stamp in a few words for tables with one row per model: ``6/60000 steps, width 8/64, SYNTHETIC``."""
    parts = []
    for path, label in SCALE_KEYS:
        have, want = _get(trained or {}, path), _get(paper or {}, path)
        if have is not None and want is not None and have != want:
            parts.append(f"{have:g}/{want:g} steps" if label == "steps" else f"{label} {have:g}/{want:g}")
    return ", ".join(parts + ["SYNTHETIC"] * bool(synthetic))
