"""What the browser tests (test_book.py, test_lab.py) share: the system's Chromium and the
flags it needs here. Importing it skips the importing test module where either is missing."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# as the machine's notes advise: no sandbox as root, and none of Chromium's own traffic,
# which a closed network refuses
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if CHROMIUM is None:
    pytest.skip(
        "no Chromium on this machine (.ci/run installs Debian's chromium package)",
        allow_module_level=True,
    )
