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
        except KeyboardInterrupt:
            print("error: interrupted; re-run the same command to resume from the last checkpoint", file=sys.stderr)
            return 130
        return 0

    return wrapper


def announce(*paths: str | Path) -> None:
    """Log where a stage's outputs are."""
    for path in paths:
        log.info("wrote %s", path)
