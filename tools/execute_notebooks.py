"""Run the notebooks top to bottom and store their outputs (the demo profile by default):

    .venv/bin/python tools/execute_notebooks.py [NOTEBOOK ...] [--profile demo]

Outputs are what a student sees before running anything, so they come from a real run.
Afterwards stderr outputs (TensorFlow's and tqdm's chatter) are dropped; the widgets' saved
state is kept, so JupyterLab shows the finished progress bars.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def clean(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
        ]
        cell.metadata.pop("execution", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--profile", default="demo")
    parser.add_argument(
        "--timeout", type=int, default=3600, help="seconds for a cell that trains (others: 300)"
    )
    args = parser.parse_args()
    os.environ["CYCLEGAN_LESSON_PROFILE"] = args.profile
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for path in args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        NotebookClient(
            nb,
            # Only cells that train get the long timeout: nbclient sometimes misses a widget
            # cell's reply until the timeout runs out, and that wait should be short.
            timeout_func=lambda cell: args.timeout if "train(" in cell.source else 300,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        clean(nb)
        nbformat.write(nb, path)
        size = path.stat().st_size / 1e6
        print(f"{path.name}: {time.perf_counter() - started:.0f} s, {size:.2f} MB", flush=True)


if __name__ == "__main__":
    main()
