"""Images per second of translation with the tutorial's U-Net generator at 256 px.

python benchmarks/inference.py [--steps 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson import speedups  # noqa: E402
from cyclegan_lesson.models import unet_generator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    generator = unet_generator(3, "instancenorm", args.size)
    speedups.use_small_map_layers(generator)  # as load_run gives it for a fused run
    translate = tf.function(lambda x: generator(x, training=False))
    for batch in (1, 8):
        x = tf.random.uniform([batch, args.size, args.size, 3], -1, 1)
        seconds = median_seconds(lambda x=x: translate(x).numpy(), args.steps)
        print(f"batch {batch}: {seconds:.3f} s per call, {batch / seconds:.1f} img/s", flush=True)


if __name__ == "__main__":
    main()
