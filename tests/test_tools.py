"""The analysis script whose numbers the README reports."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_silhouette_gain_bins_by_hand():
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
    # without the pixels beyond 2 px: 12 shared of 16 + 3 + 2
    assert near_iou == pytest.approx(12 / 21)
