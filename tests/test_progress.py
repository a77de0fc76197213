"""Progress in log files: lines, not one endless tqdm line of carriage returns."""

import io
import logging

import pytest

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


@pytest.mark.parametrize("name, value, message", [
    ("DRNET_LOG", "chatty", "DRNET_LOG='chatty' is not a log level; set it to one of DEBUG, INFO"),
    ("DRNET_PROGRESS_INTERVAL", "often", "DRNET_PROGRESS_INTERVAL='often' is not a number of seconds >= 0"),
    ("DRNET_PROGRESS_INTERVAL", "-5", "DRNET_PROGRESS_INTERVAL='-5' is not"),
    ("DRNET_PROGRESS_INTERVAL", "nan", "DRNET_PROGRESS_INTERVAL='nan' is not"),
])
def test_bad_logging_environment_is_one_line_before_any_work(monkeypatch, capsys, tmp_path, name, value, message):
    from stages import mnist_build

    monkeypatch.setenv(name, value)
    argv = ["--variant", "demo", "--train-out", str(tmp_path / "a.h5"), "--test-out", str(tmp_path / "b.h5"),
            "--summary-out", str(tmp_path / "s.json")]
    assert mnist_build.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
