"""How long does the Adam update of all four 256-px models take, Keras' vs the fused kernel?

    python benchmarks/optimizer.py [--size 256] [--steps 10]

Applies the same random gradients to the tutorial's models (114 M weights at 256 px) with
Keras' Adam (about ten element-wise ops per weight tensor, the seed's optimiser) and with
``speedups.FusedAdam`` (TF's one-pass ``ResourceApplyAdam`` kernel, the same update), each
inside one tf.function, side by side in one process. The last line is `fused_s <median>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.step import CycleGAN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    gan = CycleGAN(PROFILES["tutorial"].replace(image_size=args.size))
    grads = {
        name: [tf.random.normal(v.shape, stddev=1e-3) for v in model.trainable_variables]
        for name, model in gan.models.items()
    }
    weights = sum(int(tf.size(v)) for m in gan.models.values() for v in m.trainable_variables)
    print(f"{weights / 1e6:.1f} M weights at {args.size} px")
    times = {}
    for fused in (False, True):
        impl = "fused" if fused else "tutorial"
        gan = CycleGAN(PROFILES["tutorial"].replace(image_size=args.size, impl=impl))
        apply = tf.function(lambda gan=gan: gan.apply_gradients(grads))
        # reading a weight back waits for the update
        times[fused] = median_seconds(
            lambda apply=apply, gan=gan: (apply(), gan.generator_g.trainable_variables[0].numpy()),
            args.steps,
        )
    print(f"Keras Adam: {times[False]:.3f} s per update of all four models")
    print(f"fused Adam: {times[True]:.3f} s ({times[False] / times[True]:.2f}x faster)")
    print(f"fused_s {times[True]:.4f}")


if __name__ == "__main__":
    main()
