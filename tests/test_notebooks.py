"""The notebooks as files: clean metadata, stored outputs from the demo profile, and proof that
nbval (which runs them in CI) catches a real change in the package."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cyclegan_lesson.student import try_it_blocks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_input_pipeline.ipynb",
    "02_models.ipynb",
    "03_losses.ipynb",
    "04_training.ipynb",
    "05_inference.ipynb",
    "06_experiments.ipynb",
]
MACHINE_PATH = re.compile(r"(/home/|/Users/|/work/|/tmp/|/root/|C:\\\\)")


def _load(path):
    return json.loads(path.read_text())


def test_the_six_lessons_exist():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_metadata_and_stored_outputs(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["accelerator"] == "GPU"  # Colab opens it on a GPU runtime
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown"
    first = "".join(cells[0]["source"])
    assert first.startswith("# ") and "colab-badge.svg" in first and "you will learn" in first
    assert "**Next:**" in "".join(cells[-1]["source"]) or path.name == EXPECTED[-1]
    setup = "".join(cells[2]["source"])
    assert 'if "google.colab" in sys.modules:' in setup and "--upgrade" not in setup
    code = [c for c in cells if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert all(isinstance(n, int) for n in counts), "run tools/execute_notebooks.py"
    assert counts == sorted(counts), "stored outputs come from one top-to-bottom run"
    text = json.dumps([c["outputs"] for c in code])
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text)
    assert '"name": "stderr"' not in text
    profile_cell = next(c for c in code if c.get("id") == "profile")
    printed = "".join("".join(o.get("text", "")) for o in profile_cell["outputs"])
    assert "profile 'demo'" in printed, "outputs must come from the demo profile"
    assert path.stat().st_size < 2_000_000
    assert any("nbval-check-output" in _tags(c) for c in code)
    assert not any("NBVAL_" in "".join(c["source"]) for c in code), "use cell tags"
    # every exercise has a collapsed solution, and the stored solutions pass their checks
    exercises = [c for c in code if "exercise" in _tags(c)]
    solutions = [c for c in code if "solution" in _tags(c)]
    assert len(exercises) >= 2 and len(solutions) == len(exercises)
    for cell in solutions:
        assert cell["metadata"]["jupyter"]["source_hidden"] is True
        shown = json.dumps(cell["outputs"], ensure_ascii=False)
        assert "✅" in shown and "❌" not in shown, cell["id"]


def test_the_stored_ablations_come_from_real_runs():
    """06's stored table: every variant of experiments.ablations, the baseline with two
    seeds and its spread, each a run of minutes (the tiny profile's take seconds)."""
    from cyclegan_lesson import experiments
    from cyclegan_lesson.config import PROFILES

    cell = next(
        c
        for c in _load(ROOT / "notebooks" / "06_experiments.ipynb")["cells"]
        if c.get("id") == "run"
    )
    table = "".join("".join(o["data"]["text/markdown"]) for o in cell["outputs"] if "data" in o)
    rows = [line.split("|")[1:-1] for line in table.splitlines()[2:]]
    names = [v.name for v in experiments.ablations(PROFILES["demo"])]
    assert [r[0].strip() for r in rows] == [names[0], *names] + [
        "baseline spread (max - min over seeds)"
    ]
    minutes = [float(r[-1]) for r in rows[:-1]]
    assert min(minutes) > 1.0, minutes


def test_the_test_run_executes_every_try_it_after_its_notebook():
    """notebooks/conftest.py appends each notebook's try-it blocks to nbval's cells, so the
    nbval run executes them, as written, under the tiny profile."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval-lax"]
        + ["--nbval-current-env", "-p", "no:cacheprovider", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    collected = result.stdout.splitlines()
    for path in NOTEBOOKS:
        blocks = try_it_blocks(_load(path))
        assert blocks, f"{path.name}: no runnable try-it in its Exercises section"
        tries = [line for line in collected if line.startswith(f"notebooks/{path.name}::Try it")]
        assert len(tries) == len(blocks), (path.name, result.stdout[-2000:])


def _nbval(notebook: Path, tmp_path: Path, patch=None) -> subprocess.CompletedProcess:
    """Run nbval on one notebook against a copy of the package, optionally edited."""
    package = tmp_path / "site" / "cyclegan_lesson"
    shutil.copytree(ROOT / "cyclegan_lesson", package)
    if patch:
        file, old, new = patch
        source = (package / file).read_text()
        assert old in source
        (package / file).write_text(source.replace(old, new))
    env = {
        **os.environ,
        "PYTHONPATH": str(package.parent),
        "CYCLEGAN_LESSON_PROFILE": "tiny",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-q",
            str(notebook),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "notebook, patch",
    [
        ("03_losses.ipynb", ("losses.py", "LAMBDA = 10.0", "LAMBDA = 5.0")),
        (
            "02_models.ipynb",
            (
                "models.py",
                "    dropped = 8 - levels\n",
                "    dropped = 9 - levels\n",
            ),
        ),
    ],
    ids=["cycle-lambda-changed", "unet-level-dropped"],
)
def test_nbval_catches_a_real_change(tmp_path, notebook, patch):
    result = _nbval(ROOT / "notebooks" / notebook, tmp_path, patch)
    assert result.returncode != 0
    assert "failed" in result.stdout.splitlines()[-1]


def _setup_cells():
    cells = []
    for path in NOTEBOOKS:
        (cell,) = [c for c in _load(path)["cells"] if c.get("id") == "setup-colab"]
        cells.append("".join(cell["source"]))
    return cells


@pytest.mark.parametrize("drive", [False, True])
def test_the_colab_setup_cell_sets_the_profile_and_keeps_runs_on_drive(monkeypatch, drive):
    """The set-up cell as Colab runs it (a stand-in google.colab module, the %pip line
    recorded): the form's profile reaches every setting, and with Drive on, the run folder is
    on the mounted Drive, the same for every notebook."""
    import types

    from IPython.core.inputtransformer2 import TransformerManager

    from cyclegan_lesson.config import get_config

    sources = _setup_cells()
    assert len(set(sources)) == 1, "every notebook has the same set-up cell"
    source = sources[0].replace('PROFILE = "demo"', 'PROFILE = "tutorial"')
    source = source.replace("KEEP_RUNS_ON_DRIVE = False", f"KEEP_RUNS_ON_DRIVE = {drive}")
    assert source != sources[0]
    mounted, magics = [], []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # what the cell sets stays here
    shell = types.SimpleNamespace(run_line_magic=lambda name, line: magics.append((name, line)))
    python = TransformerManager().transform_cell(source)
    exec(python, {"get_ipython": lambda: shell})
    assert magics and magics[0][0] == "pip" and "cyclegan-lesson @ git+" in magics[0][1]
    config = get_config()
    assert config.image_size == 256 and config.dataset == "tfds:cycle_gan/horse2zebra"
    if drive:
        assert mounted == ["/content/drive"]
        assert config.output_dir == "/content/drive/MyDrive/cyclegan-lesson/runs/tutorial"
    else:
        assert mounted == [] and config.output_dir == "runs/tutorial"
