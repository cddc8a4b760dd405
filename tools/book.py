"""Build the lesson's website: both editions, from the notebooks with their stored outputs.

    .venv/bin/python tools/book.py [--out _build/book]     # python3 run.py book does this

Each edition is staged in ``<out>-src/<edition>/`` (an index page and copies of the
notebooks, whose solutions get myst-nb's ``hide-input`` tag, so they stay collapsed) and built
by Sphinx with myst-nb and the Sphinx Book Theme (``book/conf.py``) into ``<out>/<edition>/``.
Nothing is executed and nothing is downloaded: MathJax comes from the sphinx-mathjax-offline
package. ``<out>/index.html`` sends a visitor to the English edition.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
# edition folder -> (Sphinx language, notebooks, path of the notebooks in the repository)
EDITIONS = {
    "en": ("en", NOTEBOOKS, "notebooks"),
    "zh-CN": ("zh_CN", NOTEBOOKS / "zh-CN", "notebooks/zh-CN"),
}
INDEX = {
    "en": (
        "CycleGAN, from an empty notebook to a trained model",
        "A lesson in six notebooks that follows TensorFlow's CycleGAN tutorial: unpaired "
        "image-to-image translation (Zhu et al. 2017) on a laptop CPU, each piece of the "
        "tutorial's code on the page, exercises that check themselves. Every page opens in "
        "Colab from its rocket button; the switch at the top of a page opens the same page "
        "in Chinese.",
    ),
    "zh-CN": (
        "CycleGAN：从空白笔记本到训练好的模型",
        "一套由六个笔记本组成的课程，紧跟 TensorFlow 的 CycleGAN 教程：在笔记本电脑的 CPU "
        "上完成未配对的图像到图像转换（Zhu 等，2017），原教程的每一段代码都在页面上，练习会"
        "自动检查你的答案。每一页都可以通过火箭按钮在 Colab 中打开；页面顶部的切换按钮会"
        "打开同一页的英文版。",
    ),
}


# Pictures the notebooks load from the repository on GitHub (so that Colab shows them) come
# from the checkout instead: the book is built offline.
RAW_IMAGES = "https://raw.githubusercontent.com/cyclegan-lesson/cyclegan-lesson/main/img/"


BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\n*")


def stage(edition: str, src: Path) -> list[str]:
    """Write the edition's index page and notebooks into ``src``; returns the page names."""
    _, folder, _ = EDITIONS[edition]
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    names = sorted(p.stem for p in folder.glob("[0-9][0-9]_*.ipynb"))
    for name in names:
        nb = json.loads((folder / f"{name}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if "solution" in tags and "hide-input" not in tags:
                cell["metadata"]["tags"] = [*tags, "hide-input"]
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"]).replace(RAW_IMAGES, "img/")
                # the page's own Colab button replaces the badge, an image from Google's site
                cell["source"] = BADGE.sub("", text)
        (src / f"{name}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    shutil.copytree(ROOT / "img", src / "img", ignore=shutil.ignore_patterns("*.py"))
    title, intro = INDEX[edition]
    toc = "\n".join(names)
    (src / "index.md").write_text(
        f"# {title}\n\n{intro}\n\n```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n", encoding="utf-8"
    )
    return names


def build(out: Path) -> dict[str, Path]:
    """Both editions into ``out``; returns each edition's folder."""
    built = {}
    for edition, (language, _, path) in EDITIONS.items():
        src = out.parent / f"{out.name}-src" / edition
        stage(edition, src)
        html = out / edition
        command = [
            sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(BOOK),
            "-D", f"language={language}",
            "-D", f"html_theme_options.path_to_docs={path}",
            str(src), str(html),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        built[edition] = html
    _favicon(out / "favicon.ico")
    (out / "index.html").write_text(
        '<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" '
        'content="0; url=en/index.html"><a href="en/index.html">CycleGAN lesson</a>\n',
        encoding="utf-8",
    )
    return built


def _favicon(path: Path) -> None:
    """The site's icon, which browsers ask for at its root: the demo's first translation."""
    from PIL import Image

    with Image.open(ROOT / "img" / "demo_grid.png") as grid:
        side = min(grid.size)
        grid.convert("RGB").crop((0, 0, side // 3, side // 3)).resize((32, 32)).save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "book")
    args = parser.parse_args(argv)
    for edition, html in build(args.out.resolve()).items():
        print(f"{edition}: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
