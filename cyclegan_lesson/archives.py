"""The CycleGAN authors' dataset archives: the fallback when tensorflow-datasets cannot
download a ``cycle_gan/*`` set.

Each set is one zip on the authors' server (``datasets/<name>.zip``) holding
``<name>/trainA``, ``trainB``, ``testA`` and ``testB``. The installed tensorflow-datasets lists
every archive's URL, size and sha256 in ``url_checksums/cycle_gan.txt``; :func:`fetch`
downloads one, checks both, and extracts it once into the cache (``$CYCLEGAN_LESSON_CACHE``,
default ``~/.cache/cyclegan-lesson``), where it is loaded as an image folder. A download that
fails or does not match leaves nothing behind but a clear error: no half-written zip, no
half-extracted folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "CYCLEGAN_LESSON_CACHE"
REQUIRED = ("trainA", "trainB")  # an archive without these is not a dataset (the folder rule)
CHUNK = 1 << 20
TIMEOUT_S = 60


class ArchiveError(RuntimeError):
    """An archive could not be downloaded, checked or extracted; the message says what to do."""


@dataclass(frozen=True)
class Archive:
    """One dataset's zip: where it is, how many bytes and which sha256 it must have."""

    name: str
    url: str
    size: int
    sha256: str

    def manual_commands(self, cache: Path) -> str:
        """The shell commands that fetch and unpack the archive by hand."""
        return (
            f"curl -L -o {self.name}.zip {self.url} && "
            f"mkdir -p {cache} && unzip -q {self.name}.zip -d {cache}"
        )


def cache_dir() -> Path:
    """Where extracted archives live: ``$CYCLEGAN_LESSON_CACHE`` or ``~/.cache/cyclegan-lesson``."""
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/cyclegan-lesson").expanduser()


def checksums_file() -> Path:
    """tensorflow-datasets' list of the cycle_gan archives (URL, size, sha256, file name)."""
    import tensorflow_datasets

    return Path(tensorflow_datasets.__file__).parent / "url_checksums" / "cycle_gan.txt"


def read_checksums(text: str) -> dict[str, Archive]:
    """Parse the lines of ``cycle_gan.txt``: URL, size, sha256 and file name, tab-separated."""
    archives = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[0].endswith(".zip"):
            continue
        name = parts[0].rsplit("/", 1)[-1][: -len(".zip")]
        archives[name] = Archive(name, parts[0], int(parts[1]), parts[2])
    return archives


def archive(name: str) -> Archive:
    """The archive of the ``cycle_gan/<name>`` set, as the installed tensorflow-datasets
    lists it; an :class:`ArchiveError` if it lists none."""
    path = checksums_file()
    try:
        known = read_checksums(path.read_text())
    except OSError as error:
        raise ArchiveError(
            f"Cannot read {path} ({error}); reinstall tensorflow-datasets."
        ) from error
    if name not in known:
        raise ArchiveError(
            f"{path} lists no archive for {name!r}; it lists {', '.join(sorted(known))}."
        )
    return known[name]


def extracted(name: str, cache: Path | None = None) -> Path | None:
    """The folder of an archive extracted earlier, or ``None``."""
    folder = (cache or cache_dir()) / name
    return folder if (folder / ".complete").exists() else None


def fetch(entry: Archive, cache: Path | None = None, progress: bool = True) -> Path:
    """The dataset folder of ``entry`` (``trainA/`` ... ``testB/``), downloaded, checked and
    extracted into ``cache`` the first time, reused after that."""
    cache = cache or cache_dir()
    done = extracted(entry.name, cache)
    if done is not None:
        return done
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{entry.name}-") as scratch:
        scratch = Path(scratch)
        zip_path = scratch / f"{entry.name}.zip"
        _download(entry, zip_path, cache, progress)
        _extract(entry, zip_path, scratch / "unpacked", cache)
        target = cache / entry.name
        if target.exists():  # left by an earlier extraction that did not finish
            shutil.rmtree(target)
        (scratch / "unpacked" / entry.name).rename(target)
    (target / ".complete").write_text(f"{entry.url}\n{entry.sha256}\n")
    return target


def _fail(entry: Archive, cache: Path, what: str) -> ArchiveError:
    return ArchiveError(
        f"{what}\nNothing was kept. To fetch the archive by hand, run\n"
        f"  {entry.manual_commands(cache)}\n"
        f"then train with --dataset {cache / entry.name}."
    )


def _download(entry: Archive, path: Path, cache: Path, progress: bool) -> None:
    digest, size = hashlib.sha256(), 0
    if progress:
        print(f"Downloading {entry.url} ({entry.size / 2**20:.0f} MiB)", flush=True)
    try:
        with (
            urllib.request.urlopen(entry.url, timeout=TIMEOUT_S) as response,
            path.open("wb") as out,
        ):
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise _fail(entry, cache, f"Could not download {entry.url} ({error}).") from error
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise _fail(
            entry,
            cache,
            f"The download of {entry.url} is not the archive tensorflow-datasets lists: "
            f"{size} bytes with sha256 {digest.hexdigest()}, expected {entry.size} bytes with "
            f"sha256 {entry.sha256}.",
        )


def _extract(entry: Archive, zip_path: Path, into: Path, cache: Path) -> None:
    try:
        with zipfile.ZipFile(zip_path) as archive_file:
            for member in archive_file.namelist():
                if Path(member).is_absolute() or ".." in Path(member).parts:
                    raise _fail(entry, cache, f"{entry.url} holds an unsafe path: {member}.")
            archive_file.extractall(into)
    except zipfile.BadZipFile as error:
        raise _fail(entry, cache, f"{entry.url} is not a readable zip ({error}).") from error
    missing = [s for s in REQUIRED if not (into / entry.name / s).is_dir()]
    if missing:
        raise _fail(
            entry,
            cache,
            f"{entry.url} has no {', '.join(f'{entry.name}/{s}/' for s in missing)} inside.",
        )
