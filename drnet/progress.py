"""Progress bars that suit where they are written: a live tqdm bar on a terminal, plain log lines elsewhere.

Snakemake and DVC send a stage's stderr to ``logs/<rule>.log``; a tqdm bar there is one endless line of
carriage returns. ``progress(...)`` takes tqdm's arguments and, when stderr is not a terminal, logs one line
(``drnet.progress INFO drnet: 1200/60000 steps [...]``) at most every ``DRNET_PROGRESS_INTERVAL`` seconds
(default 30) and at the end instead of drawing a bar.
"""

from __future__ import annotations

import logging
import math
import os
import sys

from tqdm import tqdm

from drnet.errors import DrnetError

log = logging.getLogger(__name__)
LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"


class LineProgress(tqdm):
    """A tqdm whose every refresh is one logging line (no carriage returns, no bar)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bar_format", LINE_FORMAT)
        kwargs["mininterval"] = max(float(kwargs.get("mininterval", 0)), interval())
        kwargs["dynamic_ncols"] = False
        self._sink = open(os.devnull, "w")  # noqa: SIM115  (tqdm writes here; lines go through logging)
        kwargs["file"] = self._sink
        super().__init__(*args, **kwargs)

    def display(self, msg=None, pos=None):
        """Log the status line: the first, the last, and at most one per interval in between (postfix
        refreshes included)."""
        now = self._time()
        last = getattr(self, "_logged_at", None)
        done = self.total is not None and self.n >= self.total
        if self.disable or (last is not None and not done and now - last < interval()):
            return True
        if done and getattr(self, "_logged_n", None) == self.n:
            return True
        self._logged_at, self._logged_n = now, self.n
        log.info("%s", msg or self.format_meter(**self.format_dict))
        return True

    def close(self):
        try:
            super().close()
        finally:
            sink = getattr(self, "_sink", None)
            if sink is not None and not sink.closed:
                sink.close()


def interval() -> float:
    """Seconds between progress lines: ``DRNET_PROGRESS_INTERVAL`` (default 30), a finite number >= 0."""
    text = os.environ.get("DRNET_PROGRESS_INTERVAL", "30")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise DrnetError(f"DRNET_PROGRESS_INTERVAL={text[:40]!r} is not a number of seconds >= 0; set it to e.g. 30 "
                         f"or unset it")
    return value


def progress(*args, **kwargs) -> tqdm:
    """``tqdm(*args, **kwargs)`` on a terminal; a ``LineProgress`` logging lines otherwise."""
    stream = kwargs.get("file") or sys.stderr
    if hasattr(stream, "isatty") and stream.isatty():
        return tqdm(*args, **kwargs)
    kwargs.pop("file", None)
    return LineProgress(*args, **kwargs)
