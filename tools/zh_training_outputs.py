"""Give the zh-CN notebook 04 the English notebook's outputs of its training cells.

    .venv/bin/python tools/zh_training_outputs.py

Run it after executing notebooks/zh-CN/04_training.ipynb on a copy of the English notebooks'
finished runs (``cp -r notebooks/runs notebooks/zh-CN/runs``), which keeps both editions on
one run: with that run finished, the zh-CN training cells only say so. The English outputs of
the same cells trained that very run with the same code; they are copied with their widgets'
state, and the cells' code is checked to be the same first.
"""

from __future__ import annotations

import nbformat
import translate  # tools/translate.py: the zh-CN edition's folder

NAME = "04_training"
CELLS = ("seed-checkpoint", "seed-loop", "train-interrupted", "train-resume")
WIDGETS = "application/vnd.jupyter.widget-state+json"


def main() -> None:
    english = nbformat.read(translate.NOTEBOOKS / f"{NAME}.ipynb", as_version=4)
    path = translate.EDITION / f"{NAME}.ipynb"
    edition = nbformat.read(path, as_version=4)
    source = {c.id: c for c in english.cells}
    for cell in edition.cells:
        if cell.id in CELLS:
            if cell.source != source[cell.id].source:
                raise SystemExit(f"{path}: cell {cell.id!r} is not the English code; rebuild it")
            cell.outputs = source[cell.id].outputs
    widgets = edition.metadata.setdefault("widgets", {}).setdefault(
        WIDGETS, {"state": {}, "version_major": 2, "version_minor": 0}
    )
    widgets.setdefault("state", {}).update(english.metadata["widgets"][WIDGETS]["state"])
    nbformat.write(edition, path)
    print(f"{path.name}: the English outputs of {', '.join(CELLS)}")


if __name__ == "__main__":
    main()
