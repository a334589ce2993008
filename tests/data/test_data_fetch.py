"""Downloader, tested against a loopback HTTP server (no network access)."""
from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from nngrade.assignments.nn_from_scratch.data import FetchError, fetch_mnist, load_mnist
from nngrade.assignments.nn_from_scratch.data.fetch import (
    DEFAULT_MIRRORS,
    MNIST_MD5,
    file_md5,
)

FILES = {"a.bin": b"first file " * 5000, "b.bin": b"second file"}
CHECKSUMS = {name: hashlib.md5(data).hexdigest() for name, data in FILES.items()}


class _Handler(BaseHTTPRequestHandler):
    """Serves ``/good/<name>``, ``/bad/<name>`` (wrong bytes), ``/slow/<name>``
    (stalls), ``/cut/<name>`` (connection closed mid-body); anything else 404s."""

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.log.append(self.path)
        _, mirror, name = self.path.split("/", 2)
        data = self.server.files.get(name)
        if data is None or mirror not in ("good", "bad", "slow", "cut"):
            self.send_error(404, "Not Found")
            return
        if mirror == "slow":
            time.sleep(1.0)
        if mirror == "bad":
            data = b"X" + data[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data[: len(data) // 2] if mirror == "cut" else data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A loopback server with ``files`` (name -> bytes) and a request ``log``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files = dict(FILES)
    httpd.log = []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_falls_through_404_and_bad_checksum(server, tmp_path):
    mirrors = [f"{server.url}/missing/", f"{server.url}/bad", f"{server.url}/good/"]
    dest = fetch_mnist(tmp_path / "out", mirrors, progress=False, checksums=CHECKSUMS)
    assert dest == tmp_path / "out"
    for name, data in FILES.items():
        assert (dest / name).read_bytes() == data
    assert server.log == [f"/{m}/{name}" for name in FILES for m in ("missing", "bad", "good")]
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)  # no temp files left


def test_present_files_with_right_md5_are_skipped(server, tmp_path):
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    fetch_mnist(tmp_path, [f"{server.url}/good/"], progress=False, checksums=CHECKSUMS)
    assert server.log == []


def test_present_file_with_wrong_md5_is_replaced(server, tmp_path):
    (tmp_path / "a.bin").write_bytes(b"stale")
    (tmp_path / "b.bin").write_bytes(FILES["b.bin"])
    fetch_mnist(tmp_path, [f"{server.url}/good/"], progress=False, checksums=CHECKSUMS)
    assert (tmp_path / "a.bin").read_bytes() == FILES["a.bin"]
    assert server.log == ["/good/a.bin"]


def test_total_failure_lists_every_mirror(server, tmp_path):
    closed = _closed_port_url()
    mirrors = [f"{server.url}/missing/", f"{server.url}/bad/", closed]
    with pytest.raises(FetchError) as info:
        fetch_mnist(tmp_path, mirrors, progress=False, checksums=CHECKSUMS)
    error = info.value
    assert error.filename == "a.bin"
    assert list(error.errors) == [f"{server.url}/missing/a.bin", f"{server.url}/bad/a.bin",
                                  f"{closed}a.bin"]
    message = str(error)
    assert "could not download a.bin from any mirror" in message
    assert f"{server.url}/missing/a.bin: HTTP 404 Not Found" in message
    bad_md5 = hashlib.md5(b"X" + FILES["a.bin"][1:]).hexdigest()
    assert (f"{server.url}/bad/a.bin: checksum mismatch: got md5 {bad_md5}, "
            f"expected {CHECKSUMS['a.bin']}") in message
    assert f"{closed}a.bin: cannot connect" in message
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_timeout_and_cut_connection_try_next_mirror(server, tmp_path):
    mirrors = [f"{server.url}/slow/", f"{server.url}/cut/", f"{server.url}/good/"]
    checksums = {"a.bin": CHECKSUMS["a.bin"]}
    fetch_mnist(tmp_path, mirrors, progress=False, checksums=checksums, timeout=0.3)
    assert (tmp_path / "a.bin").read_bytes() == FILES["a.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]

    (tmp_path / "a.bin").unlink()
    with pytest.raises(FetchError) as info:
        fetch_mnist(tmp_path, mirrors[:2], progress=False, checksums=checksums, timeout=0.3)
    reasons = list(info.value.errors.values())
    assert reasons[0] == "timed out"
    size = len(FILES["a.bin"])
    assert reasons[1] == f"connection closed after {size // 2} of {size} bytes"


def test_progress_output_goes_to_stderr(server, tmp_path, capsys):
    fetch_mnist(tmp_path, [f"{server.url}/good/"], progress=True, checksums=CHECKSUMS)
    fetch_mnist(tmp_path, [f"{server.url}/good/"], progress=True, checksums=CHECKSUMS)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"a.bin: downloaded from {server.url}/good/, md5 ok" in captured.err
    assert "b.bin: already present, md5 ok" in captured.err


def test_fetched_official_files_are_found_by_load_mnist(server, tmp_path, fakes,
                                                        isolated_env):
    """Default destination is the cache that load_mnist searches."""
    server.files = {}
    for prefix, n in (("train", 30), ("t10k", 10)):
        images, labels = fakes.fake_mnist(n)
        server.files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(fakes.idx_bytes(images))
        server.files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(fakes.idx_bytes(labels))
    checksums = {name: hashlib.md5(data).hexdigest() for name, data in server.files.items()}
    dest = fetch_mnist(mirrors=[f"{server.url}/good/"], progress=False, checksums=checksums)
    assert dest == isolated_env
    data = load_mnist()
    assert data.source == "official-60k"
    assert (len(data.x_train), len(data.x_test)) == (30, 10)
    np.testing.assert_array_equal(data.y_test, fakes.fake_mnist(10)[1])


def test_defaults_describe_the_official_files():
    assert set(MNIST_MD5) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert MNIST_MD5["t10k-images-idx3-ubyte.gz"] == "9fb629c4189551a2d022fa330f9573f3"
    assert DEFAULT_MIRRORS[0].startswith("https://")


def test_file_md5(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 100000)
    assert file_md5(path) == hashlib.md5(b"abc" * 100000).hexdigest()
