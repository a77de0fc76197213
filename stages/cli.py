"""Shared plumbing of the stage commands in ``stages/``: arguments, params, logging, one-line errors, outputs.

Outputs are the flags named ``--out`` or ``--*-out`` (plus ``--checkpoint`` and ``--manifest``, kept between
runs); every other path-valued flag naming an existing file or folder is an input. Before any work a stage
refuses an output that is an input, lies in an input folder or holds an input, and two outputs on one path. Run
under :func:`stage_main`, a stage writes its outputs under temporary names (:class:`drnet.io.OutputSet`) that
are renamed into place together once it succeeded, so a failed run leaves the previous outputs as they were.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from drnet.errors import DrnetError
from drnet.io import OutputSet, disk_full
from drnet.params import VARIANTS, load_params
from drnet.progress import interval

log = logging.getLogger("drnet")
KEPT_OUTPUTS = frozenset({"--checkpoint", "--manifest"})  # written in place: resumable state, a raw folder's list
_pending: list[OutputSet] | None = None  # the output sets of the stage running under stage_main


def is_output_flag(flag: str) -> bool:
    """True for a flag that names an output of its stage."""
    return flag == "--out" or flag.endswith("-out") or flag in KEPT_OUTPUTS


def path_conflict(inputs: Mapping[str, str], outputs: Mapping[str, str], in_place: Iterable[str] = ()) -> str | None:
    """What is wrong with a stage's paths (flag -> path), or None: an output on an input, in an input folder or
    holding one; two outputs on one path; an output inside another output replaced whole (not ``in_place``)."""
    real = {flag: Path(os.path.realpath(path)) for flag, path in {**inputs, **outputs}.items()}
    for out in outputs:
        for inp in inputs:
            o, i = real[out], real[inp]
            if o == i:
                return f"{out} {outputs[out]} is also the input {inp}; write outputs to paths of their own"
            if o.is_relative_to(i) and os.path.isdir(i):
                return (f"{out} {outputs[out]} lies inside the input folder {inp} {inputs[inp]}; write outputs "
                        f"outside it")
            if i.is_relative_to(o):
                return (f"{out} {outputs[out]} holds the input {inp} {inputs[inp]}, which replacing it would delete; "
                        f"choose another output path")
    flags = list(outputs)
    for n, a in enumerate(flags):
        for b in flags[n + 1:]:
            if real[a] == real[b]:
                return f"{a} and {b} are both {outputs[a]}; give each output its own path"
            for outer, inner in ((a, b), (b, a)):
                if real[inner].is_relative_to(real[outer]) and outer not in in_place:
                    return (f"{inner} {outputs[inner]} lies inside the output {outer} {outputs[outer]}, which is "
                            f"replaced whole; give it a path outside")
    return None


class StageParser(argparse.ArgumentParser):
    """An ArgumentParser that checks a stage's input and output paths and, under :func:`stage_main`, points the
    outputs (but ``in_place`` ones and :data:`KEPT_OUTPUTS`) at temporary paths renamed into place at the end."""

    def __init__(self, *args, in_place: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.in_place = frozenset(in_place) | KEPT_OUTPUTS

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        ns = super().parse_args(args, namespace)
        inputs, outputs, dests = {}, {}, {}
        for action in self._actions:
            value = getattr(ns, action.dest, None)
            if not action.option_strings or not isinstance(value, str) or action.choices is not None:
                continue
            flag = max(action.option_strings, key=len)
            if is_output_flag(flag):
                outputs[flag], dests[flag] = value, action.dest
            elif os.path.lexists(value):
                inputs[flag] = value
        problem = path_conflict(inputs, outputs, self.in_place)
        if problem:
            raise DrnetError(f"{problem} (nothing was written)")
        replaced = [flag for flag in outputs if flag not in self.in_place]
        if _pending is not None and os.environ.get("RANK", "0") == "0":  # other DDP ranks write no output
            outs = OutputSet([outputs[flag] for flag in replaced])
            _pending.append(outs)
            for flag, tmp in zip(replaced, outs.open()):
                setattr(ns, dests[flag], str(tmp))
        return ns


def stage_parser(description: str, in_place: Sequence[str] = ()) -> StageParser:
    """A :class:`StageParser` with the options every stage takes: --params, --variant, --set.

    ``in_place``: output flags the stage updates where they are (a resumable download folder)."""
    parser = StageParser(description=description, in_place=in_place)
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--variant", default="paper", choices=VARIANTS,
                        help="'paper' (paper-scale defaults) or 'demo' (tiny overlay, embedded sources)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one param, e.g. --set mnist.train.steps=200 (repeatable)")
    return parser


def load_stage_params(args: argparse.Namespace) -> dict:
    """The stage's params: params.yaml (``--params``) with the variant's overlay and ``--set`` overrides."""
    return load_params(args.params, args.variant, args.overrides)


def paper_section(params_path: str | Path, dataset: str) -> dict:
    """The paper-scale params of one dataset section (no demo overlay, no overrides): what a scale stamp
    (``drnet.report.scale``) compares a run's model against."""
    return load_params(params_path, "paper")[dataset]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def setup_logging() -> None:
    """Log to stderr at ``DRNET_LOG`` (default INFO); a bad ``DRNET_LOG`` or ``DRNET_PROGRESS_INTERVAL`` is refused
    here, before any work, in one line."""
    level = os.environ.get("DRNET_LOG", "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise DrnetError(f"DRNET_LOG={os.environ['DRNET_LOG'][:40]!r} is not a log level; set it to one of "
                         f"{', '.join(LOG_LEVELS)} or unset it")
    interval()
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)


def stage_main(fn: Callable[[list[str] | None], object]) -> Callable[[list[str] | None], int]:
    """Wrap a stage's ``main(argv)``: set up logging, rename its outputs into place together once it succeeded
    (discarding them otherwise), turn DrnetError into one line + exit status 2."""

    @functools.wraps(fn)
    def wrapper(argv: list[str] | None = None) -> int:
        global _pending
        _pending = []
        try:
            setup_logging()
            fn(argv)
            for outs in _pending:
                outs.commit()
        except DrnetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (OSError, RuntimeError) as exc:  # torch's zip writer and h5py wrap the OSError in a RuntimeError
            full = disk_full(exc)
            if full is None:
                raise
            code = getattr(full, "errno", None)
            reason = os.strerror(code) if code else "No space left on device"
            where = f" writing {full.filename}" if getattr(full, "filename", None) else ""
            print(f"error: out of disk space{where} ({reason}); free space or move data/ and results/ to a larger "
                  f"disk, then re-run (no partial output was kept)", file=sys.stderr)
            _discard_pending()
            _exit_past_broken_hdf5(2)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted; re-run the same command to resume from the last checkpoint", file=sys.stderr)
            return 130
        finally:
            _discard_pending()
        return 0

    return wrapper


def _discard_pending() -> None:
    global _pending
    for outs in _pending or ():
        outs.discard()
    _pending = None


def _exit_past_broken_hdf5(code: int) -> None:
    """A failed HDF5 flush leaves library state that crashes the interpreter's exit; leave without it.

    The writers have already removed their temp files, so nothing is lost by skipping the normal exit path.
    """
    import h5py

    if len(h5py.h5f.get_obj_ids()) == 0:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def raw_outputs(out: str, manifest: str | None, manifest_file: str) -> tuple[Path, Path]:
    """A download stage's (raw folder, manifest path), refused in one line unless both lie below ./data."""
    out_path = Path(os.path.abspath(out))
    manifest_path = Path(os.path.abspath(manifest)) if manifest else out_path / manifest_file
    data_root = Path(os.path.abspath("data"))
    for path in (out_path, manifest_path):
        if not path.is_relative_to(data_root):
            raise DrnetError(f"{path} is outside {data_root}; downloads write only below data/ (symlink data/raw to "
                             f"a larger disk if needed)")
    return out_path, manifest_path


def add_local_option(parser: argparse.ArgumentParser, dataset: str) -> None:
    """``--from DIR``: the user's own raw files, copied and verified instead of downloaded (never modified)."""
    default = f"data/local/{dataset}"
    parser.add_argument("--from", dest="local_dir", default=default, metavar="DIR",
                        help=f"folder with your own copies of the raw files (default: {default}, outside the DVC "
                             f"output, so it survives DVC's cleaning); each is copied in and checked instead of "
                             f"downloaded, and left untouched if it fails its check")


def finish_build(summary: dict, params: dict, dataset: str, args: argparse.Namespace) -> None:
    """A store-building stage's tail: stamp the data params hash, write --summary-out (atomic), announce."""
    from drnet.io import atomic_write_json
    from drnet.params import params_hash

    summary["params_hash"] = params_hash(params[dataset]["data"])
    outs = [args.train_out, args.test_out]
    if args.summary_out:
        atomic_write_json(args.summary_out, summary)
        outs.append(args.summary_out)
    announce(*outs)


def announce(*paths: str | Path) -> None:
    """Log where a stage's outputs are."""
    for path in paths:
        for outs in _pending or ():
            path = outs.final_of(path)
        log.info("wrote %s", path)
