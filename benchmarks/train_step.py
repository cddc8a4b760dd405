"""Time CycleGAN training steps on random inputs and compare with the matmul peak.

    python benchmarks/train_step.py --size 256 --steps 10 --impl fused --precision float32
    python benchmarks/train_step.py --profile demo --steps 10 --precision float32 mixed_bfloat16

Prints the median step time, images per second, achieved GFLOP/s (convolution FLOPs of the
step, counted from the layer shapes: see common.step_flops) and that rate as a share of a
float32 matmul peak measured in the same process. The last line is `step_s <median>`.
Several --impl/--precision values run side by side in one process, so ratios are fair.
``--profile`` starts from a profile's networks (default: the tutorial's); ``--size``,
``--batch`` and ``--filters`` (both networks' base width) default to that profile's.

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


def bench(config, steps, impl, precision, jit, stock_convs=False):
    config = config.replace(
        precision=precision,
        jit_compile=jit,
        impl=impl,  # tutorial: the seed's step, stock Keras layers, Keras' Adam
    )
    size, batch = config.image_size, config.batch_size
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
    parser.add_argument("--profile", default="tutorial", choices=sorted(PROFILES))
    parser.add_argument("--size", type=int, help="image size (default: the profile's)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--impl", nargs="+", default=["fused"], choices=["fused", "tutorial"])
    parser.add_argument(
        "--precision",
        nargs="+",
        default=["float32"],
        choices=["float32", "mixed_bfloat16", "mixed_float16"],
    )
    parser.add_argument("--generator", choices=["unet", "resnet"], help="(default: the profile's)")
    parser.add_argument("--batch", type=int, help="batch size (default: the profile's)")
    parser.add_argument(
        "--filters", type=int, help="both networks' base filters (default: the profile's)"
    )
    parser.add_argument("--jit", action="store_true", help="XLA-compile the step")
    parser.add_argument(
        "--stock-convs",
        action="store_true",
        help="the fused step on stock Keras convolutions (no matrix products on small maps)",
    )
    args = parser.parse_args()
    config = PROFILES[args.profile]
    changes = {"image_size": args.size, "batch_size": args.batch, "generator": args.generator}
    if args.filters is not None:
        changes.update(base_filters=args.filters, discriminator_filters=args.filters)
    config = config.replace(**{k: v for k, v in changes.items() if v is not None})

    print(f"machine: {machine()}")
    print(
        f"profile {args.profile}: {config.generator} {config.image_size}px, batch "
        f"{config.batch_size}, filters {config.base_filters} / {config.discriminator_filters}"
    )
    peak = matmul_peak_gflops()
    print(f"float32 matmul peak: {peak:.1f} GFLOP/s")
    results, batch = [], config.batch_size
    for impl in args.impl:
        for precision in args.precision:
            seconds, flops = bench(config, args.steps, impl, precision, args.jit, args.stock_convs)
            rate = flops / seconds / 1e9
            results.append((impl, precision, seconds))
            print(
                f"{impl:>8} {precision:>14} {config.generator} {config.image_size}px batch "
                f"{batch}: {seconds:.3f} s/step  {batch / seconds:.2f} img/s  "
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
