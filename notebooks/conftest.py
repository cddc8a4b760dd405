"""nbval settings for the lesson notebooks (run with --nbval-lax: only cells tagged
`nbval-check-output` are compared, and only their text).

After a notebook's own cells, each "try it" of its Exercises section (the fenced python
blocks) runs too, as written, in the same kernel: a try-it that stops working fails the run.

06 reads the profile's run that 04 trains, and trains it itself where it has not finished.
Under the tests it gets a run folder of its own (``<output_dir>-06``, set through
``CYCLEGAN_LESSON_OUTPUT_DIR`` when its kernel starts), so that it can run on one
pytest-xdist worker while 04 trains on another, without two trainings in one folder.
"""

import os
import shutil
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from cyclegan_lesson.student import try_it_blocks

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
# The zh-CN edition's code cells and outputs are the English ones (tests/test_translation.py
# proves it cell by cell), so the English run executes them both.
collect_ignore = ["zh-CN"]


# What a notebook's try-its (and 06's ablations) train, started afresh as a student would:
# removed when that notebook is collected. Collection comes before any cell runs (pytest-xdist
# workers all collect first), and a --collect-only run, such as the one tests/test_notebooks.py
# starts beside the notebooks, removes nothing.
FRESH = {"04_training.ipynb": ["try-*"], "06_experiments.ipynb": ["*-06-ablations"]}
OWN_RUN = {"06_experiments.ipynb": "-06"}  # notebook -> suffix of its own run folder
OUTPUT_DIR_ENV = "CYCLEGAN_LESSON_OUTPUT_DIR"
OUTPUT_DIR_GIVEN = OUTPUT_DIR_ENV in os.environ  # then every notebook keeps the one given


def _start_afresh(collector) -> None:
    if collector.config.option.collectonly:
        return
    for pattern in FRESH.get(collector.path.name, []):
        for folder in (HERE / "runs").glob(pattern):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before nbval starts the notebook's kernel
def pytest_runtest_setup(item):
    path = getattr(item, "path", None)
    if OUTPUT_DIR_GIVEN or path is None or path.suffix != ".ipynb":
        return
    os.environ.pop(OUTPUT_DIR_ENV, None)  # only a kernel started for 06 sees it
    suffix = OWN_RUN.get(path.name)
    if suffix is not None:
        from cyclegan_lesson.config import get_config

        os.environ[OUTPUT_DIR_ENV] = get_config().output_dir + suffix


def pytest_collectstart(collector):
    if getattr(collector, "path", None) is None or collector.path.suffix != ".ipynb":
        return
    _start_afresh(collector)
    # TensorFlow and tqdm write to stderr; HTML and widget views differ from run to run.
    collector.skip_compare += ("stderr", "text/html", "application/javascript")
    collect = collector.collect

    def collect_with_try_its():
        items = list(collect())
        from nbval.plugin import IPyNbCell

        for number, block in enumerate(try_it_blocks(collector.nb), start=1):
            cell = nbformat.v4.new_code_cell(block)
            collector.nb.cells.append(cell)
            yield_num = len(items)
            items.append(
                IPyNbCell.from_parent(
                    collector,
                    name=f"Try it {number}",
                    cell_num=yield_num,
                    cell=cell,
                    options=defaultdict(bool, check=False),
                )
            )
        return items

    collector.collect = collect_with_try_its
