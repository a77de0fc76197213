from __future__ import annotations

import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Before torch is imported: on 2 shared cores, spinning OpenMP threads make tiny ops ~100x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import pytest  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
torch.set_num_threads(2)


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine without CUDA, nvidia-smi or /dev/nvidia0 (what ``runtime.device: auto`` resolves to the CPU)."""
    from drnet.runtime import context

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(context.shutil, "which", lambda name: None)
    monkeypatch.setattr(context.os.path, "exists", lambda path: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


@pytest.fixture(scope="session")
def mnist_tiny(tmp_path_factory):
    """A tiny MNIST store, DrNet and LSTM (demo variant, a few steps: seconds), shared by the evaluation tests:
    (folder, the --set arguments it was trained with)."""
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("mnist_tiny")
    sets = ["--set", "mnist.data.train_sequences=40", "--set", "mnist.data.test_sequences=12", "--set",
            "mnist.model.width=8", "--set", "mnist.train.steps=4", "--set", "mnist.train.batch_size=8", "--set",
            "runtime.num_workers=0", "--set", "mnist.lstm.steps=2", "--set", "mnist.lstm.batch_size=8", "--set",
            "mnist.lstm_model.hidden=16"]
    for argv in (["stages.mnist_build", "--train-out", tmp / "train.h5", "--test-out", tmp / "test.h5",
                  "--summary-out", tmp / "d.json"],
                 ["stages.train_drnet", "--dataset", "mnist", "--train", tmp / "train.h5", "--model-out",
                  tmp / "drnet.pt", "--checkpoint", tmp / "c.pt", "--metrics-out", tmp / "m.csv", "--summary-out",
                  tmp / "s.json"],
                 ["stages.train_lstm", "--dataset", "mnist", "--drnet", tmp / "drnet.pt", "--train",
                  tmp / "train.h5", "--model-out", tmp / "lstm.pt", "--checkpoint", tmp / "lc.pt", "--metrics-out",
                  tmp / "lm.csv", "--summary-out", tmp / "ls.json"]):
        run = subprocess.run([sys.executable, "-m", *map(str, argv), "--variant", "demo", *sets],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    return tmp, sets


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def demo_params() -> dict:
    from drnet.params import load_params

    return load_params(ROOT / "params.yaml", "demo")


class _LoopbackHandler(BaseHTTPRequestHandler):
    """Serves ``server.files`` by name with Range requests, and misbehaves on request.

    ``server.truncate_once``: names whose next answer promises the whole body, sends half and hangs up.
    ``server.misbehave[name]``: ``"206-whole"`` answers a Range request with 206 and the whole body, no
    Content-Range; ``"206-lying"`` does the same but claims the requested range in Content-Range;
    ``"chunked-cut"`` sends the body with chunked transfer encoding and hangs up midway (every time);
    ``"chunked-cut-once"`` does that once, then behaves.
    """

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.server
        name = self.path.lstrip("/")
        server.requests.append((name, self.headers.get("Range")))
        data = server.files.get(name)
        if data is None:
            self.send_error(404)
            return
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        start = int(match.group(1)) if match else 0
        mode = server.misbehave.get(name)
        if mode in ("chunked-cut", "chunked-cut-once"):
            if mode == "chunked-cut-once":
                del server.misbehave[name]
            self._send_chunked_cut(data[start:], partial=bool(match), start=start, total=len(data))
            return
        if match and mode in ("206-whole", "206-lying"):
            self.send_response(206)
            if mode == "206-lying":
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if start >= len(data) > 0:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(206 if match else 200)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in server.truncate_once:  # promise the whole body, send half, hang up
            server.truncate_once.discard(name)
            body = body[: len(body) // 2]
        self.wfile.write(body)

    def _send_chunked_cut(self, body: bytes, partial: bool, start: int, total: int) -> None:
        self.send_response(206 if partial else 200)
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = body[: len(body) // 2]
        for i in range(0, len(half), 4096):
            chunk = half[i:i + 4096]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"1000\r\n" + body[len(half):len(half) + 100])  # a chunk cut short, then hang up
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    """A loopback HTTP server for download tests: set ``.files`` (and ``.misbehave``, ``.truncate_once``); read
    ``.requests`` [(name, Range header)]."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _LoopbackHandler)
    httpd.files, httpd.requests, httpd.truncate_once, httpd.misbehave = {}, [], set(), {}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
