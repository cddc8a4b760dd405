"""The fused 256-px step with other limits for the small-map matrix products.

    python benchmarks/small_map_limits.py

Times the default fused float32 step (median of 5 after 3 warm-up steps) with
``speedups.SMALL_CONV_INPUT`` / ``SMALL_TRANSPOSED_INPUT`` set to each pair below, in one
process; the first pair is timed again at the end to show the run-to-run spread.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson import speedups  # noqa: E402
from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.step import CycleGAN  # noqa: E402

LIMITS = [(16, 8), (4, 8), (4, 16), (16, 16), (16, 8)]  # (conv input, transposed input)


def main() -> None:
    print(f"machine: {machine()}")
    x = tf.random.uniform([1, 256, 256, 3], -1, 1)
    y = tf.random.uniform([1, 256, 256, 3], -1, 1)
    defaults = speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT
    try:
        for conv, transposed in LIMITS:
            speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT = conv, transposed
            gan = CycleGAN(PROFILES["tutorial"])
            seconds = median_seconds(lambda gan=gan: float(gan.train_step(x, y)["cycle"]), 5)
            print(
                f"conv input <= {conv:2d} px, transposed input <= {transposed:2d} px: "
                f"{seconds:.3f} s/step",
                flush=True,
            )
    finally:
        speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT = defaults


if __name__ == "__main__":
    main()
