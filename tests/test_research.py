"""The research in research/ is not part of the default test run (its own tests run with
``python -m pytest research/outline-halo``). This one quick check loads a research script
against the package as it is now, so a package change that breaks the research's imports or
the package functions it measures with is noticed here."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

OUTLINE_HALO = Path(__file__).resolve().parents[1] / "research" / "outline-halo"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, OUTLINE_HALO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_outline_halo_research_runs_on_the_package():
    # every script imports (their package imports are at the top) ...
    for name in ("experiment", "hidden_colour", "outline_judge", "supervised_outline"):
        _load(name)
    # ... and one measures a hand-made example as it did
    gain = _load("silhouette_gain")
    # A 4x4 square (rows and columns 4-7) on black. The output loses row 7 and gains a rim
    # on column 8 (1 px away, 3 px), two pixels on row 2 (2 px away), one at (9, 10) (3 px
    # away), one at (5, 11) (4 px away) and a stray mark at row 14.
    empty = np.zeros((1, 16, 16, 3), np.uint8)
    before = empty.copy()
    before[0, 4:8, 4:8] = 200
    after = empty.copy()
    after[0, 4:7, 4:9] = 200
    after[0, 2, 4:6] = 200
    after[0, 9, 10] = 200
    after[0, 5, 11] = 200
    after[0, 14, 0:2] = 200
    shares, near_iou = gain.gained_by_distance(before, after, empty)
    np.testing.assert_allclose(shares, np.array([3, 2, 1, 3]) / 16)
    assert near_iou == pytest.approx(12 / 21)  # 12 shared of 16 + 3 + 2 within 2 px
