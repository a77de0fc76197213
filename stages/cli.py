"""Shared plumbing of the stage commands in ``stages/``: arguments, params, logging, one-line errors."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from drnet.errors import DrnetError
from drnet.io import disk_full
from drnet.params import VARIANTS, load_params

log = logging.getLogger("drnet")


def stage_parser(description: str) -> argparse.ArgumentParser:
    """An ArgumentParser with the options every stage takes: --params, --variant, --set."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--variant", default="paper", choices=VARIANTS,
                        help="'paper' (paper-scale defaults) or 'demo' (tiny overlay, embedded sources)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one param, e.g. --set mnist.train.steps=200 (repeatable)")
    return parser


def load_stage_params(args: argparse.Namespace) -> dict:
    return load_params(args.params, args.variant, args.overrides)


def paper_section(params_path: str | Path, dataset: str) -> dict:
    """The paper-scale params of one dataset section (no demo overlay, no overrides): what a scale stamp
    (``drnet.report.scale``) compares a run's model against."""
    return load_params(params_path, "paper")[dataset]


def setup_logging() -> None:
    level = os.environ.get("DRNET_LOG", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)


def stage_main(fn: Callable[[list[str] | None], object]) -> Callable[[list[str] | None], int]:
    """Wrap a stage's ``main(argv)``: set up logging, turn DrnetError into one line + exit status 2."""

    @functools.wraps(fn)
    def wrapper(argv: list[str] | None = None) -> int:
        setup_logging()
        try:
            fn(argv)
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
            _exit_past_broken_hdf5(2)
            return 2
        except KeyboardInterrupt:
            print("error: interrupted; re-run the same command to resume from the last checkpoint", file=sys.stderr)
            return 130
        return 0

    return wrapper


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
        log.info("wrote %s", path)
