"""Downloads from a loopback HTTP server: mirror fallback, checksums, broken connections, atomic renames."""

import hashlib
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from convkit.datasets import DownloadError
from convkit.datasets import download as download_module
from convkit.datasets.download import download_file, md5_of
from convkit.datasets.progress import DownloadProgressBar

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several chunks
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (body, declared Content-Length, callable run halfway through)."""

    def do_GET(self):
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, declared, midway = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        half = len(body) // 2
        try:
            self.wfile.write(body[:half])
            self.wfile.flush()
            midway()
            self.wfile.write(body[half:])
        except ConnectionError:  # the client gave up (the interrupt test)
            pass
        self.close_connection = True  # with declared > len(body) the client sees the connection drop

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(download_module, "TIMEOUT_SECONDS", 5.0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def serve(httpd, mirror, filename, body, declared=None, midway=lambda: None):
    """Publish ``body`` as ``mirror/filename``; return the mirror's base URL."""
    httpd.routes[f"/{mirror}/{filename}"] = (body, len(body) if declared is None else declared, midway)
    return f"http://127.0.0.1:{httpd.server_address[1]}/{mirror}/"


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_writes_the_verified_file_and_no_part(server, tmp_path, capsys):
    mirror = serve(server, "a", "data.bin", PAYLOAD)
    path = download_file([mirror], "data.bin", tmp_path / "new" / "folder", PAYLOAD_MD5)
    assert path == tmp_path / "new" / "folder" / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.bin"]
    bar = capsys.readouterr().err
    assert "data.bin [" + "#" * 30 + "]" in bar and "100%" in bar and bar.endswith("\n")


def test_progress_false_writes_nothing(server, tmp_path, capsys):
    mirror = serve(server, "a", "data.bin", PAYLOAD)
    download_file([mirror], "data.bin", tmp_path, PAYLOAD_MD5, progress=False)
    assert capsys.readouterr().err == ""


def test_final_name_appears_only_once_the_file_is_complete(server, tmp_path):
    seen = {}

    def midway():  # runs in the server thread with half the body sent
        deadline = time.monotonic() + 3
        while not (tmp_path / "data.bin.part").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["part"] = (tmp_path / "data.bin.part").exists()
        seen["final"] = (tmp_path / "data.bin").exists()

    mirror = serve(server, "a", "data.bin", PAYLOAD, midway=midway)
    download_file([mirror], "data.bin", tmp_path, PAYLOAD_MD5, progress=False)
    assert seen == {"part": True, "final": False}
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD


def test_checksum_mismatch_falls_back_to_the_next_mirror(server, tmp_path):
    bad = serve(server, "bad", "data.bin", b"not the data")
    good = serve(server, "good", "data.bin", PAYLOAD)
    path = download_file([bad, good], "data.bin", tmp_path, PAYLOAD_MD5, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_dropped_connection_leaves_no_file(server, tmp_path):
    mirror = serve(server, "a", "data.bin", PAYLOAD, declared=2 * len(PAYLOAD))
    with pytest.raises(DownloadError, match=f"connection closed after {len(PAYLOAD)} of {2 * len(PAYLOAD)}"):
        download_file([mirror], "data.bin", tmp_path, PAYLOAD_MD5, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_all_mirrors_failing_lists_each_failure_and_leaves_nothing(server, tmp_path):
    mirrors = [
        serve(server, "corrupt", "data.bin", b"x" * 100),
        serve(server, "dropped", "data.bin", PAYLOAD, declared=len(PAYLOAD) + 10),
        serve(server, "empty", "other.bin", PAYLOAD),  # 404 for data.bin
        closed_port_url(),
    ]
    with pytest.raises(DownloadError) as info:
        download_file(mirrors, "data.bin", tmp_path, PAYLOAD_MD5, progress=False)
    lines = str(info.value).splitlines()
    assert lines[0] == "could not download data.bin from any mirror:"
    assert [line.split(": ", 1)[0].strip() for line in lines[1:]] == [m + "data.bin" for m in mirrors]
    assert "checksum mismatch" in lines[1] and hashlib.md5(b"x" * 100).hexdigest() in lines[1]
    assert "connection closed after" in lines[2]
    assert "404" in lines[3]
    assert "refused" in lines[4].lower()
    assert isinstance(info.value, OSError)
    assert list(tmp_path.iterdir()) == []


def test_interrupt_mid_download_removes_the_part_file(server, tmp_path, monkeypatch):
    class InterruptingBar(DownloadProgressBar):
        def update(self, n_bytes):
            raise KeyboardInterrupt

    monkeypatch.setattr(download_module, "DownloadProgressBar", InterruptingBar)
    mirror = serve(server, "a", "data.bin", PAYLOAD)
    with pytest.raises(KeyboardInterrupt):
        download_file([mirror], "data.bin", tmp_path, PAYLOAD_MD5, progress=True)
    assert list(tmp_path.iterdir()) == []


def test_md5_of_matches_hashlib(tmp_path):
    (tmp_path / "f").write_bytes(PAYLOAD)
    assert md5_of(tmp_path / "f") == PAYLOAD_MD5


def test_progress_bar_draws_fraction_and_sizes():
    out = io.StringIO()
    bar = DownloadProgressBar("file.gz", total=4_000_000, stream=out)
    bar.update(1_000_000)
    assert out.getvalue() == "\rfile.gz [" + "#" * 8 + "." * 22 + "] 1.0/4.0 MB  25%"
    bar.update(3_000_000)
    bar.close()
    assert out.getvalue().endswith("\rfile.gz [" + "#" * 30 + "] 4.0/4.0 MB 100%\n")


def test_progress_bar_without_total_shows_bytes_done():
    out = io.StringIO()
    bar = DownloadProgressBar("file.gz", total=None, stream=out)
    bar.update(2_500_000)
    bar.close()
    assert out.getvalue().endswith("\rfile.gz 2.5 MB\n")


def test_a_body_larger_than_the_published_size_is_dropped(server, tmp_path):
    announced = serve(server, "announced", "data.bin", PAYLOAD)
    unannounced = serve(server, "unannounced", "data.bin", bytes(50 << 20), declared="unknown")
    with pytest.raises(DownloadError) as info:
        download_file([announced, unannounced], "data.bin", tmp_path, PAYLOAD_MD5, False, size=1000)
    lines = str(info.value).splitlines()
    assert f"the server announces {len(PAYLOAD)} bytes; the published file has 1000" in lines[1]
    assert "the server sent more than the published 1000 bytes" in lines[2]
    assert list(tmp_path.iterdir()) == []


class _DripHandler(BaseHTTPRequestHandler):
    """Announces 1000 bytes and sends one every 20 ms: each read succeeds, the whole never ends."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.02)
        except ConnectionError:
            pass

    def log_message(self, *args):
        pass


def test_a_dripping_server_is_dropped_at_the_deadline(tmp_path, monkeypatch):
    monkeypatch.setattr(download_module, "TIMEOUT_SECONDS", 5.0)
    monkeypatch.setattr(download_module, "DEADLINE_SECONDS", 0.3)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _DripHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match="the download took longer than 0.3 s"):
            download_file([f"http://127.0.0.1:{httpd.server_address[1]}/"], "d", tmp_path, "0" * 32, False)
        assert time.monotonic() - start < 3
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert list(tmp_path.iterdir()) == []
