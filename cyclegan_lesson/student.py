"""Student versions of the lesson's notebooks: the same notebooks without the solutions.

A solution is a code cell tagged ``solution`` (collapsed in the lesson), or, inside any code
cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's
markers), which become ``...`` at the block's indentation. Notebooks are read and written as
plain JSON (nbformat 4), so nothing beyond the standard library is needed.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_TAG = "solution"


class SolutionMarkerError(ValueError):
    """A ``### BEGIN SOLUTION`` without its ``### END SOLUTION`` (or the reverse)."""


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def strip_markers(source: str, where: str = "a cell") -> str:
    """Replace each BEGIN/END SOLUTION block in ``source`` with ``...``, indented as the
    BEGIN line; raises :class:`SolutionMarkerError` naming ``where`` for an unclosed block."""
    out, inside = [], False
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise SolutionMarkerError(f"{where}: {BEGIN} inside another solution block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}...  # your code here\n")
        elif stripped == END:
            if not inside:
                raise SolutionMarkerError(f"{where}: {END} without a {BEGIN} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: {BEGIN} without an {END}")
    return "".join(out)


def student_notebook(nb: dict, name: str = "the notebook") -> dict:
    """A copy of the notebook ``nb`` (nbformat 4 JSON) with the solution cells removed,
    the marked solution blocks replaced by ``...`` and the outputs of changed cells cleared."""
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        cell = json.loads(json.dumps(cell))
        if cell["cell_type"] == "code":
            source = _source(cell)
            stripped = strip_markers(source, f"{name}, cell {index}")
            if stripped != source:
                cell["source"] = stripped
                cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    return {**nb, "cells": cells}


def try_it_blocks(nb: dict) -> list[str]:
    """The fenced ```python blocks of a notebook's Exercises section (the markdown cell with
    id ``exercises``): the "try it"s a student runs after the notebook. The test run executes
    each one, as written, after the notebook's own cells (``notebooks/conftest.py``)."""
    cell = next((c for c in nb["cells"] if c.get("id") == "exercises"), None)
    if cell is None:
        return []
    blocks = re.findall(r"```python\n(.*?)```", _source(cell), re.S)
    return [textwrap.dedent(block) for block in blocks]


def has_solutions(nb: dict) -> bool:
    """Whether a notebook still holds a solution cell or a marked solution block."""
    return any(
        SOLUTION_TAG in c.get("metadata", {}).get("tags", [])
        or re.search(rf"^\s*{re.escape(BEGIN)}\s*$", _source(c), re.M)
        for c in nb["cells"]
    )


def write_student_versions(notebooks: list[Path], out: Path) -> list[Path]:
    """Write the student version of each notebook into ``out`` under the same name; returns
    the paths written. ``out`` must not be a folder the notebooks come from."""
    out = Path(out)
    sources = [Path(p) for p in notebooks]
    if any(p.resolve().parent == out.resolve() for p in sources):
        raise ValueError(f"--out {out} holds the notebooks themselves; choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"cannot read the notebook {path}: {error}") from None
        target = out / path.name
        text = json.dumps(student_notebook(nb, path.name), indent=1, ensure_ascii=False)
        target.write_text(text + "\n", encoding="utf-8")
        written.append(target)
    return written
