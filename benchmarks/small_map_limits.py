"""The fused step of a profile with other limits for the small-map matrix products.

    python benchmarks/small_map_limits.py [--profile tutorial] [--rounds 2] [--steps 5]

Times the profile's fused float32 step (its image size and batch; median of ``--steps`` after
3 warm-up steps) with ``speedups.SMALL_CONV_INPUT`` / ``SMALL_TRANSPOSED_INPUT`` set to each
pair below, ``0 / 0`` being stock oneDNN convolutions throughout. The pairs are interleaved
over ``--rounds`` rounds in one process, so a machine that slows down for a while slows all of
them; the first step of each (the trace) is printed too, since for a profile of a few steps
(``tiny``) it is most of the run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson import speedups  # noqa: E402
from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.step import CycleGAN  # noqa: E402

LIMITS = [(0, 0), (4, 8), (16, 8), (4, 16), (16, 16)]  # (conv input, transposed input)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="tutorial", choices=sorted(PROFILES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    config = PROFILES[args.profile].replace(precision="float32", impl="fused")
    print(f"machine: {machine()}")
    print(
        f"profile {args.profile}: {config.image_size} px, batch {config.batch_size}, "
        f"{config.base_filters} generator / {config.discriminator_filters} discriminator filters"
    )
    shape = [config.batch_size, config.image_size, config.image_size, 3]
    x, y = tf.random.uniform(shape, -1, 1), tf.random.uniform(shape, -1, 1)
    defaults = speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT
    steps, traces = {pair: [] for pair in LIMITS}, {pair: [] for pair in LIMITS}
    try:
        for round_ in range(1, args.rounds + 1):
            for pair in LIMITS:
                speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT = pair
                gan = CycleGAN(config)
                started = time.perf_counter()
                float(gan.train_step(x, y)["cycle"])
                traces[pair].append(time.perf_counter() - started)
                steps[pair].append(
                    median_seconds(lambda gan=gan: float(gan.train_step(x, y)["cycle"]), args.steps)
                )
                print(
                    f"round {round_}: conv input <= {pair[0]:2d} px, transposed input <= "
                    f"{pair[1]:2d} px: {steps[pair][-1]:.3f} s/step, first step (trace) "
                    f"{traces[pair][-1]:.1f} s",
                    flush=True,
                )
    finally:
        speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT = defaults
    stock = statistics.median(steps[(0, 0)])
    print(f"\nmedians over {args.rounds} rounds (default: {defaults[0]} / {defaults[1]}):")
    for pair in LIMITS:
        step = statistics.median(steps[pair])
        print(
            f"  {pair[0]:2d} / {pair[1]:2d}: {step:.3f} s/step ({stock / step:.2f}x stock), "
            f"trace {statistics.median(traces[pair]):.1f} s"
        )


if __name__ == "__main__":
    main()
