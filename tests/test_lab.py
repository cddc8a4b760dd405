"""The sliders in a real JupyterLab, as `python3 run.py lab` sets it up: a headless JupyterLab on
127.0.0.1 with a token of its own, notebook 02 opened in headless Chromium and run from the top
under the tiny profile; its contrast slider must render as a widget (no "Error displaying
widget"), and dragging its handle with the mouse must redraw the picture. A screenshot goes
to _build/lab-screenshots/.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))  # browser.py
SCREENSHOTS = ROOT / "_build" / "lab-screenshots"

pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: pip install -e .[notebooks]")
from browser import ARGS, CHROMIUM, playwright  # noqa: E402 (skips without them)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab serving a copy of notebook 02 without its stored outputs (so that only
    this run's can show, and nothing JupyterLab saves reaches the repository), with the tiny
    profile in its kernels' environment."""
    import nbformat

    home = tmp_path_factory.mktemp("lab")
    nb = nbformat.read(ROOT / "notebooks" / "02_models.ipynb", as_version=4)
    for cell in nb.cells:  # as a student opens it after "Clear Outputs of All Cells"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, home / "02_models.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "CYCLEGAN_LESSON_PROFILE": "tiny",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),  # none of the user's settings
        "JUPYTER_RUNTIME_DIR": str(home / ".runtime"),
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI machines run as root
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start within 120 s")
            time.sleep(0.5)
    yield base, token
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def test_the_contrast_slider_is_a_working_widget_in_jupyterlab(lab):
    base, token = lab
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/lab/tree/02_models.ipynb?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        # When the kernel specs arrive after the notebook, JupyterLab asks which kernel to
        # start (its own choice preselected): accept it, as a student would.
        idle = (
            "() => (document.querySelector('#jp-main-statusbar')?.innerText || '')"
            ".includes('| Idle')"
        )
        page.wait_for_function(
            f"() => document.querySelector('.jp-Dialog') !== null || ({idle})()", timeout=120_000
        )
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            dialog.get_by_role("button", name="Select", exact=True).click()
            page.wait_for_function(idle, timeout=120_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        # the cells run in order: done when the last has a number and none is busy ([*])
        # (a collapsed solution shows no prompt)
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                const last = prompts[prompts.length - 1];
                return last && /\\[\\d+\\]/.test(last.textContent)
                    && !prompts.some(p => p.textContent.includes('*'));
            }""",
            timeout=60_000,  # about 20 s on two AVX2 cores
        )
        assert "Error displaying widget" not in page.inner_text(".jp-NotebookPanel")
        slider = page.locator(".jp-OutputArea-output .widget-slider").first
        slider.scroll_into_view_if_needed()
        assert slider.locator(".widget-label").text_content() == "contrast"
        readout = slider.locator(".widget-readout")
        assert readout.text_content() == "8"
        widget = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
        before = widget.locator("img").first.get_attribute("src")
        assert before and before.startswith("data:image/png")
        # drag the handle with the mouse, as a student does, past the track's left end
        handle = slider.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()  # JupyterLab may have scrolled on since
        track = slider.locator(".noUi-target").first.bounding_box()
        grip = handle.bounding_box()
        page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] - 20, grip["y"] + grip["height"] / 2, steps=12)
        page.mouse.up()
        page.wait_for_function(
            "([box, before]) => { const img = box.querySelector('img');"
            " return img && img.getAttribute('src') !== before; }",
            arg=[widget.element_handle(), before],
            timeout=60_000,
        )
        assert readout.text_content() == "1"  # the slider's minimum
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lab-02-contrast-slider.png"))
        browser.close()
