"""The website (python3 run.py book), built from the notebooks and opened in a headless
Chromium: every page of both editions loads with no console error and no failed request,
every picture is there, the formulas are typeset, the solutions are collapsed, each page has
its Colab button, and the edition switch lands on the matching page. Screenshots of two
pages go to _build/book-screenshots/ (the README shows them, copied to img/)."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))  # browser.py
sys.path.insert(0, str(ROOT / "tools"))
SCREENSHOTS = ROOT / "_build" / "book-screenshots"
PAGES = [
    "index",
    "01_input_pipeline",
    "02_models",
    "03_losses",
    "04_training",
    "05_inference",
    "06_experiments",
]
EDITIONS = {"en": "notebooks", "zh-CN": "notebooks/zh-CN"}

pytest.importorskip("sphinx", reason="the book extra is not installed: pip install -e .[book]")
pytest.importorskip("myst_nb", reason="the book extra is not installed: pip install -e .[book]")
from browser import ARGS, CHROMIUM, playwright  # noqa: E402 (skips without them)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line a request would drown pytest's report
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import book

    out = tmp_path_factory.mktemp("book") / "site"
    book.build(out)
    handler = functools.partial(Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page that records console errors, failed requests and error responses."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on(
            "response",
            lambda r: (
                self.problems.append(f"{r.status}: {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")  # the browser's own ask
                else None
            ),
        )

    def open(self, url: str):
        self.problems.clear()
        self.page.goto(url, wait_until="networkidle")
        return self.page


def test_every_page_loads_whole_and_clean(site, browser):
    base, _ = site
    watched = Watched(browser)
    for edition in EDITIONS:
        for name in PAGES:
            page = watched.open(f"{base}/{edition}/{name}.html")
            broken = page.evaluate(
                "() => Array.from(document.images)"
                ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            assert broken == [], (edition, name, broken)
            assert watched.problems == [], (edition, name, watched.problems)
            if name != "index":
                assert page.locator("img").count() >= 1, (edition, name)  # its stored pictures
    watched.page.close()


def test_formulas_are_typeset_and_solutions_collapsed(site, browser):
    base, _ = site
    watched = Watched(browser)
    for edition in EDITIONS:
        page = watched.open(f"{base}/{edition}/03_losses.html")
        page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 10")
        assert page.locator("mjx-merror").count() == 0
        solutions = page.locator("details.hide.above-input")
        assert solutions.count() == 4  # 03's four exercises, one solution each
        assert all(solutions.nth(i).get_attribute("open") is None for i in range(4))
        assert not solutions.first.locator("pre").first.is_visible()  # collapsed
        solutions.first.locator("summary").click()
        assert solutions.first.locator("pre").first.is_visible()  # and it opens
        assert watched.problems == [], watched.problems
    watched.page.close()


def test_colab_buttons_and_the_edition_switch(site, browser):
    base, _ = site
    watched = Watched(browser)
    for edition, folder in EDITIONS.items():
        page = watched.open(f"{base}/{edition}/02_models.html")
        colab = page.locator("a[href*='colab.research.google.com/github/']")
        assert colab.count() >= 1
        assert colab.first.get_attribute("href").endswith(f"/blob/main/{folder}/02_models.ipynb")
    page = watched.open(f"{base}/en/02_models.html")
    page.locator("button.btn-language-switch").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{base}/zh-CN/02_models.html"
    assert "判别器" in page.title()
    page.locator("button.btn-language-switch").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{base}/en/02_models.html"
    assert watched.problems == [], watched.problems
    watched.page.close()


def test_screenshots_of_two_pages(site, browser):
    base, _ = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched = Watched(browser)
    for edition, name in (("en", "02_models"), ("zh-CN", "03_losses")):
        page = watched.open(f"{base}/{edition}/{name}.html")
        path = SCREENSHOTS / f"book-{edition}-{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 20_000  # a page, not a blank
    watched.page.close()


def test_the_built_site_links_both_editions_from_its_front_page(site):
    _, out = site
    assert "en/index.html" in (out / "index.html").read_text()
    for edition in EDITIONS:
        assert (out / edition / "_static" / "mathjax" / "tex-chtml.js").exists()
        index = (out / edition / "index.html").read_text(encoding="utf-8")
        for name in PAGES[1:]:  # the table of contents
            assert f'href="{name}.html"' in index, (edition, name)
