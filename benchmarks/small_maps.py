"""Stock oneDNN convolutions vs one matrix product on the U-Net's small maps.

    python benchmarks/small_maps.py [--batch 2] [--steps 10]

For each 4x4 stride-2 conv and transposed conv of the tutorial's 256-px U-Net, times forward
+ backward (input and kernel gradients) of ``keras.layers.Conv2D`` / ``Conv2DTranspose``
against the same layer computed as a matrix product (``speedups.conv4x4_stride2_as_matmul``,
``speedups.conv4x4_transpose_stride2_as_matmul``), side by side, and prints the ratio. The
models use the matrix product up to ``speedups.SMALL_CONV_INPUT`` / ``SMALL_TRANSPOSED_INPUT``;
this table and the whole-step timings of ``small_map_limits.py`` set them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson import speedups  # noqa: E402

# (input side, input channels, filters) of the U-Net's down convs and up transposed convs
DOWNS = [(256, 3, 64), (128, 64, 128), (64, 128, 256), (32, 256, 512), (16, 512, 512),
         (8, 512, 512), (4, 512, 512), (2, 512, 512)]  # fmt: skip
UPS = [(1, 512, 512), (2, 1024, 512), (4, 1024, 512), (8, 1024, 512), (16, 1024, 256),
       (32, 512, 128), (64, 256, 64)]  # fmt: skip


def time_layer(transposed: bool, side: int, channels: int, filters: int, batch: int, steps):
    cls = keras.layers.Conv2DTranspose if transposed else keras.layers.Conv2D
    layer = cls(filters, 4, strides=2, padding="same", use_bias=False)
    x = tf.random.normal([batch, side, side, channels])
    layer(x)
    gemm = (
        speedups.conv4x4_transpose_stride2_as_matmul
        if transposed
        else speedups.conv4x4_stride2_as_matmul
    )

    def step_of(forward):
        @tf.function
        def step():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = forward()
            dx, dk = tape.gradient(y, [x, layer.kernel], output_gradients=tf.ones_like(y))
            return tf.reduce_sum(dx) + tf.reduce_sum(dk)

        return step

    stock = step_of(lambda: layer(x))
    fast = step_of(lambda: gemm(x, layer.kernel))
    times = {}
    for name, fn in (("stock", stock), ("matmul", fast), ("stock", stock)):  # stock twice:
        times[name] = median_seconds(lambda fn=fn: float(fn()), steps)  # keep the warmer one
    return times["stock"], times["matmul"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"batch {args.batch}, forward + backward, median of {args.steps}")
    for transposed, shapes in ((False, DOWNS), (True, UPS)):
        kind = "Conv2DTranspose" if transposed else "Conv2D"
        for side, channels, filters in shapes:
            stock, fast = time_layer(transposed, side, channels, filters, args.batch, args.steps)
            print(
                f"{kind:>15} in {side:3d} px {channels:4d}->{filters:4d}: "
                f"stock {stock * 1e3:7.2f} ms  matmul {fast * 1e3:7.2f} ms  {stock / fast:5.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
