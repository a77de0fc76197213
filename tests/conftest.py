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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def demo_params() -> dict:
    from drnet.params import load_params

    return load_params(ROOT / "params.yaml", "demo")


class _LoopbackHandler(BaseHTTPRequestHandler):
    """Serves ``server.files`` by name with Range requests; a name in ``server.truncate_once`` is cut short once."""

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
        if start >= len(data) > 0:
            self.send_error(416)
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

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    """A loopback HTTP server for download tests: set ``.files``; read ``.requests`` [(name, Range header)]."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _LoopbackHandler)
    httpd.files, httpd.requests, httpd.truncate_once = {}, [], set()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
