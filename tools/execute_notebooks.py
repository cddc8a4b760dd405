"""Run the notebooks top to bottom and store their outputs (the demo profile by default):

    .venv/bin/python tools/execute_notebooks.py [NOTEBOOK ...] [--profile demo]

A notebook runs in its own folder, so one in notebooks/zh-CN/ trains its own runs there and
its checks answer in Chinese; such a run is marked in the notebook's metadata, and
tools/translate.py keeps its outputs while the code cells stay the English ones.

Outputs are what a student sees before running anything, so they come from a real run.
Afterwards stderr outputs (TensorFlow's and tqdm's chatter) are dropped; the widgets' saved
state is kept, so JupyterLab shows the finished progress bars.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import time
from pathlib import Path

import nbformat
import translate  # tools/translate.py: the zh-CN edition's folder and its run's marker
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TRAINS = re.compile(r"\btrain\(|run_ablations\(")  # cells that may train for a long time


def finished_bar_text(state: dict, model_id: str) -> str | None:
    """The text a tqdm bar widget shows at the end ("epoch 7/7: 100% 250/250 [...]"), from
    the notebook's saved widget state, or ``None`` when the model is not such a bar."""
    box = state.get(model_id, {}).get("state", {})
    parts = []
    for child in box.get("children", []):
        child_state = state.get(child.removeprefix("IPY_MODEL_"), {}).get("state", {})
        if child_state.get("_model_name") == "HTMLModel":
            parts.append(html.unescape(child_state.get("value", "")).replace("\u2007", " "))
    return " ".join(p.strip() for p in parts if p.strip()) or None


def clean(nb) -> None:
    # In a static view (GitHub, a website) a widget shows its text/plain fallback, which
    # tqdm wrote when the bar started ("0/250"): replace it with the bar's final text.
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = state.get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            text = view and finished_bar_text(state, view["model_id"])
            if text:
                output["data"]["text/plain"] = text
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
        "--clean-only", action="store_true", help="only tidy the stored outputs, run nothing"
    )
    parser.add_argument(
        "--timeout", type=int, default=3600, help="seconds for a cell that trains (others: 300)"
    )
    args = parser.parse_args()
    os.environ["CYCLEGAN_LESSON_PROFILE"] = args.profile
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for path in args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if args.clean_only:
            clean(nb)
            nbformat.write(nb, path)
            continue
        started = time.perf_counter()
        NotebookClient(
            nb,
            # Only cells that train get the long timeout: nbclient sometimes misses a widget
            # cell's reply until the timeout runs out, and that wait should be short.
            timeout_func=lambda cell: args.timeout if TRAINS.search(cell.source) else 300,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        clean(nb)
        if path.resolve().parent == translate.EDITION:  # the kernel ran there: checks in Chinese
            nb.metadata[translate.EXECUTED] = translate.LANGUAGE  # translate.py keeps these
        nbformat.write(nb, path)
        size = path.stat().st_size / 1e6
        print(f"{path.name}: {time.perf_counter() - started:.0f} s, {size:.2f} MB", flush=True)


if __name__ == "__main__":
    main()
