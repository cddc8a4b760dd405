"""The fallback to the authors' dataset archives, offline: a tiny zip with the real layout
served from a local HTTP server on 127.0.0.1."""

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from cyclegan_lesson import archives, data
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.data import DataSourceError, load_domains

TINY = PROFILES["tiny"]
COUNTS = {"trainA": 5, "trainB": 4, "testA": 2, "testB": 3}


def _zip(name: str, counts=COUNTS) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(buffer, "w") as archive_file:
        for split, n in counts.items():
            for i in range(n):
                image = io.BytesIO()
                pixels = rng.integers(0, 256, size=(40, 48, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(image, "JPEG")
                archive_file.writestr(f"{name}/{split}/{i:03d}.jpg", image.getvalue())
    return buffer.getvalue()


class _Server:
    """Serves ``files`` ({path: bytes}) on 127.0.0.1 and counts the requests."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests = files, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    body = _zip("horse2zebra")
    served = _Server({"/datasets/horse2zebra.zip": body, "/datasets/bad.zip": b"not a zip"})
    served.body = body
    yield served
    served.close()


def _entry(server, path="/datasets/horse2zebra.zip", name="horse2zebra", body=None):
    body = server.body if body is None else body
    return archives.Archive(name, server.url(path), len(body), hashlib.sha256(body).hexdigest())


def test_the_installed_tfds_lists_the_fixed_archive_urls():
    # tensorflow/datasets#5134: the old host answered 404; PR #5084 moved the URLs
    horse2zebra = archives.archive("horse2zebra")
    assert (
        horse2zebra.url == "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip"
    )
    assert horse2zebra.size == 116_867_962 and len(horse2zebra.sha256) == 64
    assert set(data.TFDS_CONFIGS) <= set(
        archives.read_checksums(archives.checksums_file().read_text())
    )
    with pytest.raises(archives.ArchiveError, match="lists no archive for 'cats2dogs'"):
        archives.archive("cats2dogs")


def test_fetch_downloads_checks_extracts_once_and_reuses(server, tmp_path):
    entry = _entry(server)
    folder = archives.fetch(entry, tmp_path, progress=False)
    assert folder == tmp_path / "horse2zebra"
    for split, n in COUNTS.items():
        assert len(list((folder / split).glob("*.jpg"))) == n
    assert [p.name for p in tmp_path.iterdir()] == ["horse2zebra"]  # no zip, no scratch left
    assert archives.fetch(entry, tmp_path, progress=False) == folder
    assert len(server.requests) == 1  # the second call reads the cache


@pytest.mark.parametrize(
    "corrupt, message",
    [
        ("checksum", "is not the archive tensorflow-datasets lists"),
        ("not a zip", "is not a readable zip"),
        ("wrong layout", "has no horse2zebra/trainA/, horse2zebra/trainB/ inside"),
        ("missing", "Could not download"),
    ],
)
def test_a_bad_download_leaves_nothing_behind_and_says_what_to_do(
    server, tmp_path, corrupt, message
):
    if corrupt == "checksum":
        entry = _entry(server)
        entry = archives.Archive(entry.name, entry.url, entry.size, "0" * 64)
    elif corrupt == "not a zip":
        entry = _entry(server, "/datasets/bad.zip", body=b"not a zip")
    elif corrupt == "wrong layout":
        body = _zip("zebras")  # the right file name, the wrong folder inside
        server.files["/datasets/zebras.zip"] = body
        entry = _entry(server, "/datasets/zebras.zip", body=body)
    else:
        entry = _entry(server, "/datasets/nowhere.zip")
    with pytest.raises(archives.ArchiveError) as error:
        archives.fetch(entry, tmp_path, progress=False)
    text = str(error.value)
    assert message in text and entry.url in text
    assert (
        f"curl -L -o horse2zebra.zip {entry.url}" in text
        and f"unzip -q horse2zebra.zip -d {tmp_path}" in text
    )
    assert f"--dataset {tmp_path / 'horse2zebra'}" in text
    assert list(tmp_path.iterdir()) == []  # nothing half-written, nothing half-extracted
    assert archives.extracted("horse2zebra", tmp_path) is None


def test_an_unfinished_extraction_is_replaced(server, tmp_path):
    (tmp_path / "horse2zebra" / "trainA").mkdir(parents=True)  # no .complete: a crash midway
    folder = archives.fetch(_entry(server), tmp_path, progress=False)
    assert len(list((folder / "trainA").glob("*.jpg"))) == COUNTS["trainA"]


def _tfds_offline(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to get url https://efrosgans.eecs.berkeley.edu/...")

    monkeypatch.setattr(tfds, "load", offline)


def test_a_failed_tfds_download_falls_back_to_the_archive(server, tmp_path, monkeypatch, capsys):
    _tfds_offline(monkeypatch)
    monkeypatch.setenv(archives.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(archives, "archive", lambda name: _entry(server))
    config = TINY.replace(dataset="tfds:cycle_gan/horse2zebra")
    raw, counts = data.raw_source(config)
    assert counts == COUNTS
    printed = capsys.readouterr().out
    assert "ConnectionError" in printed and "Fetching the CycleGAN authors' archive" in printed
    domains = load_domains(config)
    x, y = next(iter(domains.train_pairs(0)))
    assert x.shape == (1, 32, 32, 3) and float(x.numpy().min()) >= -1.0
    data.raw_source(config)  # extracted: read from the cache, silently
    assert "Fetching" not in capsys.readouterr().out and len(server.requests) == 1


def test_when_the_archive_fails_too_the_error_names_both_ways_and_the_command(
    server, tmp_path, monkeypatch
):
    _tfds_offline(monkeypatch)
    monkeypatch.setenv(archives.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(archives, "archive", lambda name: _entry(server, "/datasets/nowhere.zip"))
    with pytest.raises(DataSourceError) as error:
        data.raw_source(TINY.replace(dataset="tfds:cycle_gan/horse2zebra"))
    text = str(error.value)
    assert "tensorflow-datasets could not load 'tfds:cycle_gan/horse2zebra'" in text
    assert "https://efrosgans.eecs.berkeley.edu" in text  # the URL tfds tried
    assert server.url("/datasets/nowhere.zip") in text  # the archive's
    assert "curl -L -o horse2zebra.zip" in text and "--dataset toy" in text
    assert list(Path(tmp_path).iterdir()) == []
