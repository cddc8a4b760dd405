"""Shared helpers of the benchmark scripts: timing, FLOP counting, a matmul peak."""

from __future__ import annotations

import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402


def machine() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    device = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {device}, TensorFlow {tf.__version__}"


def median_seconds(fn, steps: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` over ``steps`` calls after ``warmup`` calls. ``fn`` must
    block until its work is done (e.g. by reading a result back)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def conv_flops(model: tf.keras.Model, image_size: int, batch: int = 1) -> int:
    """Floating-point operations (2 per multiply-add) of the convolutions and transposed
    convolutions in one forward pass at ``image_size`` -- the work that matters; norms,
    activations and additions are left out."""
    total = 0

    def visit(layer, shape):
        nonlocal total
        if isinstance(layer, tf.keras.Sequential):
            for inner in layer.layers:
                shape = visit(inner, shape)
            return shape
        out = layer.compute_output_shape(shape)
        if isinstance(layer, tf.keras.layers.Conv2DTranspose):
            kh, kw = layer.kernel_size
            total += 2 * batch * shape[1] * shape[2] * shape[3] * kh * kw * layer.filters
        elif isinstance(layer, tf.keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            total += 2 * batch * out[1] * out[2] * out[3] * kh * kw * shape[3]
        return out

    # Walk the functional graph in order, with concrete shapes.
    shapes = {}
    for node_layer in model.layers:
        if isinstance(node_layer, tf.keras.layers.InputLayer):
            shapes[id(node_layer.output)] = (batch, image_size, image_size, 3)
            continue
        inputs = node_layer.input
        inputs = inputs if isinstance(inputs, list) else [inputs]
        in_shapes = [shapes[id(t)] for t in inputs]
        if isinstance(node_layer, tf.keras.layers.Concatenate):
            out = (*in_shapes[0][:3], sum(s[3] for s in in_shapes))
        elif len(in_shapes) > 1:  # Add and friends
            out = in_shapes[0]
        else:
            out = visit(node_layer, in_shapes[0])
        shapes[id(node_layer.output)] = tuple(out)
    return total


def step_flops(models: dict, image_size: int, batch: int = 1) -> int:
    """FLOPs of one CycleGAN training step (the seed's formulation, which the fused step
    computes too): G and F run three times each, D_X and D_Y twice each; a backward pass
    costs about twice its forward pass (input and weight gradients)."""
    g = conv_flops(models["generator_g"], image_size, batch)
    f = conv_flops(models["generator_f"], image_size, batch)
    d = conv_flops(models["discriminator_x"], image_size, batch)
    forward = 3 * g + 3 * f + 4 * d
    return 3 * forward


def matmul_peak_gflops(n: int = 2048, steps: int = 10) -> float:
    """float32 matmul rate of this process's device, GFLOP/s (median of ``steps``)."""
    a = tf.random.uniform([n, n])
    b = tf.random.uniform([n, n])
    matmul = tf.function(lambda: tf.reduce_sum(tf.linalg.matmul(a, b)))
    seconds = median_seconds(lambda: float(matmul()), steps)
    return 2 * n**3 / seconds / 1e9
