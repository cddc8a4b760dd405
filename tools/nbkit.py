"""Building blocks for writing the lesson's notebooks from a Python script (tools/notebooks/).

Each notebook is written by ``tools/notebooks/NN_name.py`` as a list of cells with stable
ids (the zh-CN edition keys its translations by them), then executed by
``tools/execute_notebooks.py`` to store real outputs. The conventions every notebook shares
live here: the title with its Colab badge, the set-up cells, the profile cell, exercises with
a stub, a check and a collapsed solution, and the closing sections.

    python tools/notebooks/01_input_pipeline.py    # rewrites notebooks/01_input_pipeline.ipynb
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REPO = "cyclegan-lesson/cyclegan-lesson"


def _text(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(cell_id: str, text: str):
    return new_markdown_cell(_text(text), id=cell_id)


def code(cell_id: str, source: str, tags=(), hidden: bool = False):
    cell = new_code_cell(_text(source), id=cell_id)
    if tags:
        cell.metadata["tags"] = list(tags)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
        cell.metadata["cellView"] = "form"  # Colab's collapsed view
    return cell


def _tagged(cell, *tags):
    cell.metadata["tags"] = [*cell.metadata.get("tags", []), *tags]
    return cell


def checked(cell_id: str, source: str):
    """A cell whose printed output nbval compares with the stored one."""
    return code(cell_id, source, tags=["nbval-check-output"])


def header(name: str, title: str, learn: list[str], intro: str = ""):
    badge = (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{REPO}/blob/main/notebooks/{name}.ipynb)"
    )
    bullets = "\n".join(f"- {item}" for item in learn)
    intro = f"\n\n{_text(intro)}" if intro else ""
    return [
        md(
            "title",
            f"# {title}\n\n{badge}{intro}\n\n**In this notebook you will learn**\n\n{bullets}",
        )
    ]


def setup(numpy: bool = True, tensorflow: bool = True):
    """The set-up section; ``numpy=False`` and ``tensorflow=False`` leave out the import of
    ``np`` or ``tf`` for a notebook that does not use it."""
    numpy_line = "import numpy as np\n            " if numpy else ""
    tf_line = "import tensorflow as tf\n" if tensorflow else ""
    return [
        md(
            "setup",
            """
            ## Setup

            On Colab the first cell installs the lesson's package (it leaves Colab's TensorFlow
            and ipywidgets as they are) and offers two settings in its form: the profile, and
            whether to keep the runs on your Google Drive. A Colab runtime forgets its files
            when it disconnects, and each notebook runs on a runtime of its own, so without
            Drive notebook 05 cannot find what 04 trained. Everywhere else, install the package
            once with `python3 run.py lab` from the repository, which also opens JupyterLab.
            """,
        ),
        code(
            "setup-colab",
            """
            import os
            import sys

            # Colab only (elsewhere, set CYCLEGAN_LESSON_PROFILE before starting JupyterLab).
            PROFILE = "demo"  # @param ["demo", "tutorial", "paper"]
            KEEP_RUNS_ON_DRIVE = False  # @param {type:"boolean"}

            if "google.colab" in sys.modules:
                %pip install -q "cyclegan-lesson @ git+https://github.com/cyclegan-lesson/cyclegan-lesson"
                os.environ["CYCLEGAN_LESSON_PROFILE"] = PROFILE
                if KEEP_RUNS_ON_DRIVE:  # every notebook's runs in one folder of your Drive
                    from google.colab import drive

                    drive.mount("/content/drive")
                    runs = f"/content/drive/MyDrive/cyclegan-lesson/runs/{PROFILE}"
                    os.environ["CYCLEGAN_LESSON_OUTPUT_DIR"] = runs
            """,
        ),
        code(
            "setup-imports",
            f"""
            import os

            # keep TensorFlow's C++ log lines quiet
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

            %matplotlib inline
            import matplotlib.pyplot as plt
            {numpy_line}{tf_line}
            plt.rcParams["figure.dpi"] = 72  # small stored pictures
            """,
        ),
    ]


def profile():
    return [
        md(
            "profile-intro",
            """
            A **profile** is a preset of every setting. The default, `demo`, trains the
            tutorial's networks on the built-in toy horse2zebra at 128 px, small enough for a
            laptop CPU. The table lists every setting in which it differs from the TensorFlow
            tutorial; the notebooks explain each one where it is used (the losses in 03;
            the pool, the decay and the batch in 04). To train with the tutorial's settings on the
            real horse2zebra at 256 px (a GPU runtime and internet needed), remove the `#` in
            front of `%env` and run the notebook again from the top. To switch every notebook
            at once, start JupyterLab with the variable set:
            `CYCLEGAN_LESSON_PROFILE=tutorial python3 run.py lab`; on Colab, pick the profile
            in the set-up cell's form.
            """,
        ),
        code(
            "profile",
            """
            # %env CYCLEGAN_LESSON_PROFILE=tutorial
            from cyclegan_lesson.config import active_profile, get_config

            config = get_config()  # the profile named by $CYCLEGAN_LESSON_PROFILE, or "demo"
            print(f"profile {active_profile()!r}, against the seed tutorial:\\n")
            print(config.describe_differences())
            """,
        ),
    ]


def exercise(cell_id: str, task: str, stub: str, check: str, solution: str):
    """Markdown with the task, the stub cell with its check (tag ``exercise``), and a
    collapsed solution that runs the same check (tags ``solution``, ``nbval-check-output``)."""
    return [
        md(f"{cell_id}-task", task),
        code(f"{cell_id}", f"{_text(stub)}\n\n\n{_text(check)}", tags=["exercise"]),
        _tagged(
            md(
                f"{cell_id}-solution-note",
                "Stuck? The next cell holds a solution (click to expand it). Try your own "
                "first: the check's hint tells you what it recognised.",
            ),
            "solution",  # the student version drops the note with the solution
        ),
        code(
            f"{cell_id}-solution",
            f"# Solution\n{_text(solution)}\n\n\n{_text(check)}",
            tags=["solution", "nbval-check-output"],
            hidden=True,
        ),
    ]


def footer(summary: list[str], exercises: str, reading: list[str], next_name: str | None):
    cells = [
        md("summary", "## Summary\n\n" + "\n".join(f"- {s}" for s in summary)),
        md("exercises", "## Exercises\n\n" + _text(exercises)),
        md("further-reading", "## Further reading\n\n" + "\n".join(f"- {r}" for r in reading)),
    ]
    if next_name:
        title = next_name.split("_", 1)[1].replace("_", " ")
        cells.append(md("next", f"**Next:** [{next_name[:2]} · {title}]({next_name}.ipynb)"))
    return cells


# Further reading, shared: the papers behind the options the lesson uses.
PAPER = (
    "Zhu, Park, Isola, Efros (2017), *Unpaired Image-to-Image Translation using "
    "Cycle-Consistent Adversarial Networks*: https://arxiv.org/abs/1703.10593"
)
TUTORIAL = (
    "The TensorFlow CycleGAN tutorial: https://www.tensorflow.org/tutorials/generative/cyclegan"
)
PIX2PIX = (
    "Isola et al. (2017), *Image-to-Image Translation with Conditional Adversarial Networks* "
    "(pix2pix: the U-Net and the PatchGAN): https://arxiv.org/abs/1611.07004"
)
UNET = (
    "Ronneberger, Fischer, Brox (2015), *U-Net: Convolutional Networks for Biomedical Image "
    "Segmentation*: https://arxiv.org/abs/1505.04597"
)
INSTANCE_NORM = (
    "Ulyanov, Vedaldi, Lempitsky (2016), *Instance Normalization: The Missing Ingredient for "
    "Fast Stylization*: https://arxiv.org/abs/1607.08022"
)
LSGAN = (
    "Mao et al. (2017), *Least Squares Generative Adversarial Networks*: "
    "https://arxiv.org/abs/1611.04076"
)
POOL = (
    "Shrivastava et al. (2017), *Learning from Simulated and Unsupervised Images through "
    "Adversarial Training* (the image pool): https://arxiv.org/abs/1612.07828"
)
SELF_REG = (
    "Shrivastava et al. (2017), *Learning from Simulated and Unsupervised Images through "
    "Adversarial Training* (SimGAN's self-regularisation loss, behind the change price): "
    "https://arxiv.org/abs/1612.07828"
)
GAN = "Goodfellow et al. (2014), *Generative Adversarial Networks*: https://arxiv.org/abs/1406.2661"
RESNET_GEN = (
    "Johnson, Alahi, Fei-Fei (2016), *Perceptual Losses for Real-Time Style Transfer and "
    "Super-Resolution* (the ResNet generator): https://arxiv.org/abs/1603.08155"
)
ADAM = "Kingma, Ba (2015), *Adam: A Method for Stochastic Optimization*: https://arxiv.org/abs/1412.6980"
TFDATA = "The tf.data performance guide (cache, shuffle, prefetch): https://www.tensorflow.org/guide/data_performance"
AUTHORS_CODE = (
    "The authors' PyTorch code, with its options and training tips: "
    "https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix"
)
ATTENTION = (
    "Mejjati et al. (2018), *Unsupervised Attention-guided Image-to-Image Translation*: "
    "https://arxiv.org/abs/1806.02311"
)
STEGANOGRAPHY = (
    "Chu, Zhmoginov, Sandler (2017), *CycleGAN, a Master of Steganography*: "
    "https://arxiv.org/abs/1712.02950"
)


def save(name: str, cells: list) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "accelerator": "GPU",
        "colab": {"gpuType": "T4", "provenance": []},
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    ids = [c.id for c in cells]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{name}: cell ids used twice: {sorted(duplicates)}")
    path = NOTEBOOKS / f"{name}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, path)
    # the notebook's code as `ruff format` (which the test run checks) writes it
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(path)], check=True)
    return path
