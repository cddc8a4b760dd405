"""The student version of a notebook: solutions out, everything else kept."""

from __future__ import annotations

import json

import pytest

from cyclegan_lesson import cli
from cyclegan_lesson.student import (
    SolutionMarkerError,
    has_solutions,
    strip_markers,
    student_notebook,
    try_it_blocks,
)


def cell(source, cell_type="code", tags=(), outputs=None):
    c = {"cell_type": cell_type, "metadata": {"tags": list(tags)}, "source": source}
    if cell_type == "code":
        c["outputs"], c["execution_count"] = outputs or [], 1 if outputs else None
    return c


OUTPUT = [{"output_type": "stream", "name": "stdout", "text": "✅ Correct!"}]
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [
        cell("# Exercise", "markdown"),
        cell("def my_loss(a, b):\n    ...\n\ncheck(my_loss)", tags=["exercise"]),
        cell(
            "def my_loss(a, b):\n    return a - b\n\ncheck(my_loss)",
            tags=["solution"],
            outputs=OUTPUT,
        ),
        cell(
            "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    y = x * 2\n    ### END SOLUTION\n"
            "    return y\n",
            outputs=OUTPUT,
        ),
        cell("print('kept')", outputs=OUTPUT),
    ],
}


def test_solution_cells_go_and_marked_blocks_become_ellipses():
    student = student_notebook(NOTEBOOK)
    sources = ["".join(c["source"]) for c in student["cells"]]
    assert len(student["cells"]) == 4
    assert not any("return a - b" in s for s in sources)
    assert sources[2] == "def f(x):\n    y = 1\n    ...  # your code here\n    return y\n"
    assert student["cells"][2]["outputs"] == [] and student["cells"][2]["execution_count"] is None
    assert student["cells"][3]["outputs"] == OUTPUT  # untouched cells keep their outputs
    assert has_solutions(NOTEBOOK) and not has_solutions(student)
    assert NOTEBOOK["cells"][3]["outputs"] == OUTPUT  # the original is not changed


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without an ### END SOLUTION"),
        ("x = 1\n### END SOLUTION\n", "without a ### BEGIN SOLUTION"),
    ],
)
def test_unclosed_markers_name_the_cell(source, message):
    with pytest.raises(SolutionMarkerError, match=message) as error:
        strip_markers(source, "03_losses.ipynb, cell 7")
    assert "03_losses.ipynb, cell 7" in str(error.value)


def test_the_command_writes_student_versions(tmp_path, capsys):
    source = tmp_path / "lesson" / "01_x.ipynb"
    source.parent.mkdir()
    source.write_text(json.dumps(NOTEBOOK))
    out = tmp_path / "students"
    assert cli.main(["student-version", str(source), "--out", str(out)]) == 0
    written = json.loads((out / "01_x.ipynb").read_text())
    assert not has_solutions(written)
    assert str(out / "01_x.ipynb") in capsys.readouterr().out
    # writing over the lesson's own folder is refused, and the notebook is left alone
    assert cli.main(["student-version", str(source), "--out", str(source.parent)]) == 2
    assert json.loads(source.read_text()) == NOTEBOOK
    assert "choose another folder" in capsys.readouterr().err


def test_try_it_blocks_are_the_fenced_python_of_the_exercises_section():
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "source": "```python\nnot_this()\n```"},
            {
                "cell_type": "markdown",
                "id": "exercises",
                "source": "1. One:\n\n   ```python\n   a = 1\n   print(a)\n   ```\n\n"
                "2. Two, not python:\n\n   ```bash\n   ls\n   ```\n",
            },
        ]
    }
    assert try_it_blocks(nb) == ["a = 1\nprint(a)\n"]
    assert try_it_blocks({"cells": []}) == []
