#!/usr/bin/env python3
"""Set-up and the main jobs in one place, with nothing but Python and pip needed.

    python3 run.py demo    train the demo profile on the built-in dataset, write translations
    python3 run.py test    lint, then every test (pytest, and nbval over the notebooks)
    python3 run.py lab     open the notebooks in JupyterLab
    python3 run.py book    build the lesson's website, both editions, into _build/book/

Each command first makes a local virtual environment in .venv (once, and again whenever
pyproject.toml changes) and installs the package with its dev extra there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CYCLEGAN_LESSON_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def sh(*args: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env={**os.environ, **(env or {})})
    if result.returncode:
        sys.exit(result.returncode)


def ensure_venv(extras: str = "dev") -> None:
    """Create .venv and install the package (editable) unless it is up to date."""
    pyproject = ROOT / "pyproject.toml"
    wanted = f"{extras}:{pyproject.stat().st_mtime_ns}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
    STAMP.write_text(wanted)


def _finished(run: Path) -> bool:
    """Ask the package whether the run has trained all its epochs."""
    status = subprocess.run([str(BIN / "cyclegan-lesson"), "status", "--run", str(run)], cwd=ROOT)
    return status.returncode == 0


def demo() -> None:
    ensure_venv()
    cli = BIN / "cyclegan-lesson"
    run = ROOT / "runs" / "demo"
    if _finished(run):
        print(f"{run} has finished training already; using it (delete it to train again).")
    else:
        sh(cli, "train", "--profile", "demo", "--out", run, *sys.argv[2:])
    data = run / "toy-dataset"
    if not (data / "testB").is_dir():
        sh(cli, "toy-dataset", data, "--image-size", "64")
    for direction, split in (("a2b", "testA"), ("b2a", "testB")):
        sh(
            cli,
            "translate",
            "--run",
            run,
            "--direction",
            direction,
            "--input",
            data / split,
            "--output",
            run / "translated" / direction,
        )
    sh(cli, "grid", "--run", run, "--output", run / "grid.png")
    sh(cli, "evaluate", "--run", run, "--json", run / "evaluation.json")
    print(
        f"\nTranslated test images: {run / 'translated'}\n"
        f"Grid (input | translation | reconstruction): {run / 'grid.png'}\n"
        f"Evaluation: {run / 'evaluation.json'}"
    )


NBVAL = ["notebooks", "--nbval-lax", "--nbval-current-env"]


def test() -> None:
    """Lint, then the package tests and the six notebooks under nbval, in one pytest run on
    one worker a core. The notebooks run with the tiny profile: minutes, not hours."""
    ensure_venv("dev,book,notebooks")  # the website's and JupyterLab's browser tests
    sh(PYTHON, "-m", "ruff", "check", ".")
    sh(PYTHON, "-m", "ruff", "format", "--check", ".")
    # One worker a core (pytest-xdist): the tiny profile's steps are mostly Python and tracing,
    # which one process cannot spread over cores. Each test module and each notebook (04 and
    # 05 together) stay in one worker (conftest.py says how).
    args = sys.argv[2:] or ["-n", "auto", "--dist", "loadscope", "tests", *NBVAL]
    sh(PYTHON, "-m", "pytest", *args, env={"CYCLEGAN_LESSON_PROFILE": "tiny"})


def lab() -> None:
    ensure_venv("dev,notebooks")
    sh(BIN / "jupyter", "lab", ROOT / "notebooks")


def book() -> None:
    """The website of the lesson, English and zh-CN, from the notebooks' stored outputs."""
    ensure_venv("dev,book")
    sh(PYTHON, ROOT / "tools" / "book.py", *sys.argv[2:])


COMMANDS = {"demo": demo, "test": test, "lab": lab, "book": book}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    COMMANDS[sys.argv[1]]()
