"""Time CycleGAN training steps on random inputs and compare with the matmul peak.

    python benchmarks/train_step.py --size 256 --steps 10 --impl fused --precision float32

Prints the median step time, images per second, achieved GFLOP/s (convolution FLOPs of the
step, counted from the layer shapes: see common.step_flops) and that rate as a share of a
float32 matmul peak measured in the same process. The last line is `step_s <median>`.
Several --impl/--precision values run side by side in one process, so ratios are fair.

``tutorial`` is the seed's formulation throughout: its step, stock Keras convolutions and
Keras' Adam. ``fused`` is the package's default: batched calls, matrix products on the
U-Net's small maps (``--stock-convs`` turns those off) and the one-kernel Adam.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, matmul_peak_gflops, median_seconds, step_flops  # noqa: E402

from cyclegan_lesson import speedups  # noqa: E402
from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.step import CycleGAN  # noqa: E402


def bench(size, steps, impl, precision, generator, batch, jit, filters, stock_convs=False):
    config = PROFILES["tutorial"].replace(
        image_size=size,
        generator=generator,
        precision=precision,
        batch_size=batch,
        jit_compile=jit,
        base_filters=filters,
        discriminator_filters=filters,
        impl=impl,  # tutorial: the seed's step, stock Keras layers, Keras' Adam
    )
    gan = CycleGAN(config)
    if stock_convs:  # the fused step without the small-map convolutions
        for model in gan.models.values():
            speedups.use_small_map_layers(model, False)
    x = tf.random.uniform([batch, size, size, 3], -1, 1)
    y = tf.random.uniform([batch, size, size, 3], -1, 1)
    seconds = median_seconds(lambda: float(gan.train_step(x, y)["cycle"]), steps)
    flops = step_flops(gan.models, size, batch)
    return seconds, flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--impl", nargs="+", default=["fused"], choices=["fused", "tutorial"])
    parser.add_argument(
        "--precision",
        nargs="+",
        default=["float32"],
        choices=["float32", "mixed_bfloat16", "mixed_float16"],
    )
    parser.add_argument("--generator", default="unet", choices=["unet", "resnet"])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--jit", action="store_true", help="XLA-compile the step")
    parser.add_argument(
        "--stock-convs",
        action="store_true",
        help="the fused step on stock Keras convolutions (no matrix products on small maps)",
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    peak = matmul_peak_gflops()
    print(f"float32 matmul peak: {peak:.1f} GFLOP/s")
    results = []
    for impl in args.impl:
        for precision in args.precision:
            seconds, flops = bench(
                args.size,
                args.steps,
                impl,
                precision,
                args.generator,
                args.batch,
                args.jit,
                args.filters,
                args.stock_convs,
            )
            rate = flops / seconds / 1e9
            results.append((impl, precision, seconds))
            print(
                f"{impl:>8} {precision:>14} {args.generator} {args.size}px batch {args.batch}: "
                f"{seconds:.3f} s/step  {args.batch / seconds:.2f} img/s  "
                f"{rate:.1f} GFLOP/s ({flops / 1e9:.1f} GFLOP/step)  "
                f"{100 * rate / peak:.0f}% of peak",
                flush=True,
            )
    base = next((s for i, p, s in results if i == "tutorial" and p == "float32"), None)
    if base is not None:
        for impl, precision, seconds in results:
            print(f"speed-up vs tutorial float32: {impl} {precision} {base / seconds:.2f}x")
    print(f"step_s {results[-1][2]:.4f}")


if __name__ == "__main__":
    main()
