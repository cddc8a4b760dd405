"""What makes the package's training step faster than the seed's without changing its maths.

One setting, ``Config.impl``, turns all of it on (``"fused"``, the default) or off
(``"tutorial"``: the seed's step on stock Keras layers with Keras' Adam). :func:`apply` is the
one place where it reaches the models, :func:`adam` where it reaches the optimisers; the
batched step itself is :meth:`step.CycleGAN.fused_gradients`.

* **Small-map convolutions.** On CPU, oneDNN's convolutions are inefficient on the U-Net's
  innermost levels: maps of a few pixels with 512-1,024 channels, little work per weight read.
  The same sums as one matrix product (im2col for the stride-2 conv, matmul + overlap-add for
  the transposed conv) are faster there and slower on large maps
  (``python benchmarks/small_maps.py`` times each layer both ways). :class:`SmallMapConv2D`
  and :class:`SmallMapConv2DTranspose` are Keras' layers with the same weights that take the
  matrix product up to :data:`SMALL_CONV_INPUT` / :data:`SMALL_TRANSPOSED_INPUT`, on layers
  with at least :data:`SMALL_MAP_CHANNELS` channels in and out.
* **One-pass Adam.** :class:`FusedAdam` is Keras' Adam whose update runs as TensorFlow's
  ``ResourceApplyAdam`` kernel.
* **Mixed precision**: :func:`dtype_policy` builds the models under a Keras dtype policy, and
  :class:`LossScale` scales float16 losses (both steps use them; the seed has neither).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import keras
import tensorflow as tf
from keras import layers, ops

PACKAGE = "cyclegan_lesson"

# Up to these input sides a 4x4 stride-2 'same' layer takes the matrix product (measured on
# the step as a whole: ``python benchmarks/small_map_limits.py``).
SMALL_CONV_INPUT = 4
SMALL_TRANSPOSED_INPUT = 8
# ... on layers this wide, in and out: the tutorial's 512-1,024 channels. Narrower layers read
# few weights per pixel, so oneDNN is no slower there, and the matrix product's dozens of ops
# cost trace time: the demo's 192-channel levels ran as fast either way, the tiny profile's
# 64-channel ones 1.6x slower, with its first step (the trace) 1.7x longer.
SMALL_MAP_CHANNELS = 256


# --------------------------------------------------------------- small-map convolutions


def conv4x4_stride2_as_matmul(x, kernel):
    """``Conv2D(k=4, strides=2, padding='same')`` as one matrix product (im2col).

    x: (batch, 2h, 2w, c); kernel: (4, 4, c, filters). Returns (batch, h, w, filters).
    'same' pads one pixel on each side; output pixel o reads padded pixels 2o + t for the
    taps t = 0..3. The patches are laid out (ty, tx, c), the kernel's own order, so the kernel
    enters the product as a reshape, without a copy.
    """
    b, h2, w2, c = ops.shape(x)
    h, w = h2 // 2, w2 // 2
    filters = kernel.shape[-1]
    padded = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    patches = ops.concatenate(
        [
            padded[:, ty : ty + 2 * h : 2, tx : tx + 2 * w : 2, :]
            for ty in range(4)
            for tx in range(4)
        ],
        axis=-1,
    )
    out = ops.matmul(ops.reshape(patches, [-1, 16 * c]), ops.reshape(kernel, [16 * c, filters]))
    return ops.reshape(out, [b, h, w, filters])


def conv4x4_transpose_stride2_as_matmul(x, kernel):
    """``Conv2DTranspose(k=4, strides=2, padding='same')`` as a matrix product + overlap-add.

    x: (batch, h, w, c); kernel: (4, 4, filters, c). Returns (batch, 2h, 2w, filters).
    Input pixel i adds ``kernel[t] @ x[i]`` to output pixel 2i + t - 1 for the taps t = 0..3:
    one product gives all 16 taps of every pixel (the kernel, read as (16 * filters, c), enters
    it without a copy); tap t = 2q + r lands in output phase r, shifted by q.
    """
    b, h, w, c = ops.shape(x)
    filters = kernel.shape[2]
    taps = ops.matmul(
        ops.reshape(x, [-1, c]), ops.transpose(ops.reshape(kernel, [16 * filters, c]))
    )
    taps = ops.reshape(taps, [b, h, w, 2, 2, 2, 2, filters])  # (.., qy, ry, qx, rx, f)
    phases = 0
    for qy in (0, 1):
        for qx in (0, 1):
            tap = ops.reshape(taps[:, :, :, qy, :, qx, :, :], [b, h, w, 4 * filters])
            phases += ops.pad(tap, [[0, 0], [qy, 1 - qy], [qx, 1 - qx], [0, 0]])
    full = ops.reshape(phases, [b, h + 1, w + 1, 2, 2, filters])  # (.., ry, rx, f)
    full = ops.reshape(ops.transpose(full, [0, 1, 3, 2, 4, 5]), [b, 2 * h + 2, 2 * w + 2, filters])
    return full[:, 1:-1, 1:-1, :]


def _is_4x4_stride2_same(layer) -> bool:
    return (
        layer.kernel_size == (4, 4)
        and layer.strides == (2, 2)
        and layer.padding == "same"
        and layer.dilation_rate == (1, 1)
        and layer.data_format == "channels_last"
    )


def small_map(layer, x) -> bool:
    """Whether ``layer`` (a 4x4 stride-2 'same' conv or transposed conv) takes the
    matrix-product path for input ``x``: its spatial sizes are known when traced and small
    (a conv's input: even, at most SMALL_CONV_INPUT; a transposed conv's: at most
    SMALL_TRANSPOSED_INPUT), and it has at least SMALL_MAP_CHANNELS channels in and out."""
    h, w, channels = x.shape[1], x.shape[2], x.shape[-1]
    if not _is_4x4_stride2_same(layer) or h is None or w is None:
        return False
    if channels is None or min(channels, layer.filters) < SMALL_MAP_CHANNELS:
        return False
    if isinstance(layer, layers.Conv2DTranspose):
        return max(h, w) <= SMALL_TRANSPOSED_INPUT
    return h % 2 == 0 and w % 2 == 0 and max(h, w) <= SMALL_CONV_INPUT


# Registered under the names that earlier versions gave them in models.py, so .keras files
# saved then still load.
@keras.saving.register_keras_serializable(package=PACKAGE, name="Conv2D")
class SmallMapConv2D(layers.Conv2D):
    """``keras.layers.Conv2D`` (same weights, same result) that computes a 4x4 stride-2 'same'
    convolution of a small map as one matrix product."""

    def convolution_op(self, inputs, kernel):
        if small_map(self, inputs):
            return conv4x4_stride2_as_matmul(inputs, kernel)
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable(package=PACKAGE, name="Conv2DTranspose")
class SmallMapConv2DTranspose(layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` (same weights, same result) that computes a 4x4
    stride-2 'same' transposed convolution of a small map as a matrix product + overlap-add."""

    def call(self, inputs):
        if not small_map(self, inputs):
            return super().call(inputs)
        outputs = conv4x4_transpose_stride2_as_matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return self.activation(outputs)


_FAST = {layers.Conv2D: SmallMapConv2D, layers.Conv2DTranspose: SmallMapConv2DTranspose}
_STOCK = {fast: stock for stock, fast in _FAST.items()}


def use_small_map_layers(model: keras.Model, enabled: bool = True) -> int:
    """Give every 4x4 stride-2 'same' conv and transposed conv in ``model`` the small-map
    class (``enabled``) or Keras' own class back. The layer objects and their weights stay
    as they are, so checkpoints are unchanged; it takes effect at the next trace. Returns the
    number of layers switched."""
    swaps = _FAST if enabled else _STOCK
    count = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if type(layer) in swaps and _is_4x4_stride2_same(layer):
            layer.__class__ = swaps[type(layer)]
            count += 1
    return count


# ------------------------------------------------------------------------------- Adam


class FusedAdam(keras.optimizers.Adam):
    """Keras' Adam whose update runs as TensorFlow's one-pass ``ResourceApplyAdam`` kernel.

    The update is the same (the same moments, the same bias-corrected step size, the same
    epsilon; equal to float rounding) and so are the variables, so checkpoints are unchanged.
    Keras' Adam spends about ten element-wise ops per weight tensor, each a pass over memory;
    with the 256-px models' 114 M weights that is a large share of a CPU step
    (``python benchmarks/optimizer.py``).
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].value.handle,
            v=self._velocities[index].value.handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


# ---------------------------------------------------------------------- mixed precision


# CPU flags (as /proc/cpuinfo names them) of native bfloat16 arithmetic. Without them oneDNN
# emulates bfloat16, and a mixed_bfloat16 step is far slower than a float32 one:
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# Measured with `python benchmarks/train_step.py --size 128 --filters 24 --batch 4 --steps 3
# --precision float32 mixed_bfloat16` (docs/performance.md):
EMULATED_BF16_COST = (
    "a fused step at 128 px, batch 4, took {bf16:.1f} s in mixed_bfloat16 against {f32:.2f} s "
    "in float32 on a 2-core AMD EPYC (Zen 3: AVX2, no AVX-512)"
)
EMULATED_BF16_SECONDS = {"bf16": 4.70, "f32": 0.62}
# Native is not always faster. Where bfloat16 measured faster than float32: AMX's tile units,
# and AVX512_BF16 on AMD's cores (the demo's step: Zen 5 0.22-0.25 s against 0.28 s, Zen 4
# 0.36 s against 0.42 s). On an Intel core with AVX512_BF16 but no AMX (a VM that hides AMX,
# or Cooper Lake) oneDNN's bfloat16 kernels lost to float32; measured with
# `python benchmarks/train_step.py --profile demo --steps 10 --precision float32 mixed_bfloat16`:
SLOW_BF16_COST = (
    "the demo's fused step took {bf16:.2f} s in mixed_bfloat16 against {f32:.2f} s in float32 "
    "on a 2-core Intel Xeon (family 6, model 207: AVX512_BF16, no AMX)"
)
SLOW_BF16_SECONDS = {"bf16": 0.549, "f32": 0.396}


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (an empty set where there is none)."""
    return set(_cpuinfo_field("flags").split())


def cpu_vendor() -> str:
    """The CPU's vendor as /proc/cpuinfo names it (``GenuineIntel``, ``AuthenticAMD``), or
    an empty string where there is none."""
    return _cpuinfo_field("vendor_id").strip()


def _cpuinfo_field(name: str) -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":")[0].strip() == name:
                    return line.partition(":")[2]
    except OSError:
        pass
    return ""


def flags_under_cap(flags, cap: str | None) -> set[str]:
    """The CPU flags oneDNN may use under ``ONEDNN_MAX_CPU_ISA=cap`` (an ISA name such as
    ``AVX2`` or ``AVX512_CORE_BF16``; ``None``, ``ALL`` or ``DEFAULT``: no cap). A cap below
    AVX512_CORE_BF16 makes oneDNN emulate bfloat16 on any CPU, one below AVX512_CORE_AMX
    keeps it off the AMX tiles, so those flags no longer count for :func:`fast_bf16`."""
    flags = set(flags)
    cap = (cap or "ALL").upper()
    if cap in ("ALL", "DEFAULT") or "AMX" in cap:
        return flags
    flags -= {"amx_bf16", "amx_tile"}
    if cap not in ("AVX512_CORE_BF16", "AVX512_CORE_FP16") and not cap.startswith("AVX10"):
        flags.discard("avx512_bf16")
    return flags


def fast_bf16(flags, vendor: str) -> bool:
    """Whether a CPU with these flags, from this vendor, runs mixed_bfloat16 faster than
    float32: with AMX, or with AVX512_BF16 on an AMD core (see :data:`SLOW_BF16_COST`)."""
    return "amx_bf16" in flags or ("avx512_bf16" in flags and vendor == "AuthenticAMD")


def resolve_precision(
    precision: str, gpu: bool | None = None, flags=None, vendor: str | None = None
) -> str:
    """The dtype policy for ``Config.precision``. ``"auto"``: ``mixed_float16`` on a GPU,
    ``mixed_bfloat16`` on a CPU where it measured faster than float32 (:func:`fast_bf16`:
    AMX, or AVX512_BF16 on AMD), ``float32`` otherwise. Any other value is kept;
    ``mixed_bfloat16`` on a CPU where it is slower warns with what it costs. ``gpu``,
    ``flags`` and ``vendor`` default to this machine's (its flags as far as
    ``ONEDNN_MAX_CPU_ISA`` lets oneDNN use them, see :func:`flags_under_cap`)."""
    if gpu is None:
        gpu = bool(tf.config.list_physical_devices("GPU"))
    if flags is None:
        flags = flags_under_cap(cpu_flags(), os.environ.get("ONEDNN_MAX_CPU_ISA"))
    flags = set(flags)
    vendor = cpu_vendor() if vendor is None else vendor
    native = any(flag in flags for flag in NATIVE_BF16_FLAGS)
    fast = fast_bf16(flags, vendor)
    if precision == "auto":
        return "mixed_float16" if gpu else "mixed_bfloat16" if fast else "float32"
    if precision == "mixed_bfloat16" and not gpu and not fast:
        if native:
            why = "is slower than float32 on this CPU (AVX512_BF16 without AMX): "
            cost = SLOW_BF16_COST.format(**SLOW_BF16_SECONDS)
        else:
            why = "on a CPU without native bfloat16 (AVX512_BF16 or AMX) is emulated and slow: "
            cost = EMULATED_BF16_COST.format(**EMULATED_BF16_SECONDS)
        warnings.warn(
            f"precision mixed_bfloat16 {why}{cost}. Use --precision auto (float32 here).",
            stacklevel=2,
        )
    return precision


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build layers under a Keras dtype policy, then restore the previous global policy."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class LossScale(tf.Module):
    """Dynamic loss scaling for float16 (scale 1 and no checks otherwise): one scale for all
    four models, so the fused step's shared backward pass stays consistent."""

    def __init__(self, enabled: bool, initial: float = 2.0**15, period: int = 2000):
        super().__init__()
        self.enabled, self.period = enabled, period
        self.scale = tf.Variable(initial if enabled else 1.0, trainable=False)
        self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, loss):
        return loss * self.scale if self.enabled else loss

    def unscale(self, grads):
        if not self.enabled:
            return grads, tf.constant(True)
        grads = [g / self.scale for g in grads]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
        return grads, finite

    def update(self, finite):
        if not self.enabled:
            return
        grow = tf.logical_and(finite, self.good_steps + 1 >= self.period)
        self.scale.assign(
            tf.where(finite, tf.where(grow, self.scale * 2, self.scale), self.scale / 2)
        )
        self.good_steps.assign(tf.where(finite & ~grow, self.good_steps + 1, 0))


# ------------------------------------------------------------------- the one switch


def apply(models: dict[str, keras.Model], impl: str) -> None:
    """Give a run's models the layers ``impl`` asks for: ``"fused"``, the small-map
    convolutions; ``"tutorial"``, Keras' stock layers throughout (as the reference)."""
    for model in models.values():
        use_small_map_layers(model, impl == "fused")


def adam(config) -> keras.optimizers.Adam:
    """One model's optimiser: :class:`FusedAdam` for ``impl="fused"``, Keras' Adam for the
    tutorial's step (the same update, the same variables)."""
    cls = FusedAdam if config.impl == "fused" else keras.optimizers.Adam
    return cls(config.learning_rate, beta_1=config.beta_1)
