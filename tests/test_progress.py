"""Progress in log files: lines, not one endless tqdm line of carriage returns."""

import io
import logging

from drnet.progress import LineProgress, progress


def test_progress_logs_lines_when_stderr_is_not_a_terminal(monkeypatch, caplog, capsys):
    monkeypatch.setenv("DRNET_PROGRESS_INTERVAL", "0")
    with caplog.at_level(logging.INFO, logger="drnet.progress"):
        bar = progress(total=5, desc="drnet", unit="step")
        assert isinstance(bar, LineProgress)
        for _ in range(5):
            bar.update(1)
            bar.set_postfix(rec=0.5, refresh=False)
        bar.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) >= 2 and lines[-1].startswith("drnet: 5/5 step")
    assert all("\r" not in line for line in lines)
    assert "\r" not in capsys.readouterr().err


def test_progress_keeps_the_live_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    bar = progress(total=2, desc="x", file=Tty())
    assert not isinstance(bar, LineProgress)
    bar.close()


def test_disabled_progress_logs_nothing(caplog):
    with caplog.at_level(logging.INFO, logger="drnet.progress"):
        bar = progress(total=3, desc="rank1", disable=True)
        bar.update(3)
        bar.close()
    assert caplog.records == []
