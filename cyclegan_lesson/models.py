"""The networks: pix2pix's U-Net generator and PatchGAN discriminator (what the seed tutorial
imports from ``tensorflow_examples``), and the paper's ResNet generator.

The pix2pix pieces keep the reference's names and layer order -- ``downsample``, ``upsample``,
``unet_generator``, ``discriminator`` -- so a reader who knows that file recognises every layer.
At 256 px with 64 base filters the parameter counts match it exactly: U-Net 54,414,979,
PatchGAN 2,765,569. All kernels start from N(0, 0.02).
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

PACKAGE = "cyclegan_lesson"


def _init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


@keras.saving.register_keras_serializable(package=PACKAGE)
class InstanceNormalization(layers.Layer):
    """Instance normalisation (Ulyanov et al. 2016): each image's channels get zero mean and
    unit variance over the spatial axes, then an optional learned scale and offset.

    Input and output: (batch, height, width, channels). ``affine=True`` (the tutorial's) learns
    ``scale`` ~ N(1, 0.02) and ``offset`` = 0 per channel; ``affine=False`` (the paper's code)
    learns nothing.
    """

    def __init__(self, epsilon: float = 1e-5, affine: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.affine = affine

    def build(self, input_shape):
        if self.affine:
            channels = input_shape[-1:]
            self.scale = self.add_weight(
                name="scale",
                shape=channels,
                initializer=keras.initializers.RandomNormal(1.0, 0.02),
            )
            self.offset = self.add_weight(name="offset", shape=channels, initializer="zeros")

    def call(self, x):
        # Moments in float32 even under mixed precision: a variance in 16 bits loses too much.
        x32 = ops.cast(x, "float32")
        mean, variance = ops.moments(x32, axes=[1, 2], keepdims=True)
        normalized = (x32 - mean) * ops.rsqrt(variance + self.epsilon)
        normalized = ops.cast(normalized, x.dtype)
        if self.affine:
            return ops.cast(self.scale, x.dtype) * normalized + ops.cast(self.offset, x.dtype)
        return normalized

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SizeCheck(layers.Layer):
    """Passes images through unchanged, but raises a ValueError that says which sizes work when
    the height or width is one the model cannot take."""

    def __init__(self, multiple: int = 1, minimum: int = 1, model_name: str = "model", **kwargs):
        super().__init__(**kwargs)
        self.multiple, self.minimum, self.model_name = multiple, minimum, model_name

    def describe(self) -> str:
        if self.multiple > 1:
            return f"sides that are multiples of {self.multiple} (e.g. {self.multiple}, " + (
                f"{2 * self.multiple}, {4 * self.multiple})"
            )
        return f"sides of at least {self.minimum} px"

    def call(self, x):
        for side in x.shape[1:3]:
            if side is None:
                continue
            if side % self.multiple or side < max(self.minimum, self.multiple):
                raise ValueError(
                    f"{self.model_name} cannot take {x.shape[1]}x{x.shape[2]} images; it takes "
                    f"{self.describe()}. Resize or pad the images (translate --native pads)."
                )
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "multiple": self.multiple,
            "minimum": self.minimum,
            "model_name": self.model_name,
        }


# On CPU, oneDNN's convolutions are inefficient on the U-Net's innermost levels: maps of a
# few pixels with 512-1024 channels, little work per weight read. The same sums as one matrix
# product (im2col for the stride-2 conv, matmul + overlap-add for the transposed conv) are
# faster there and slower on large maps (``python benchmarks/small_maps.py`` times each layer
# both ways). Up to these input sides the layers below take the matrix product:
SMALL_CONV_INPUT = 4
SMALL_TRANSPOSED_INPUT = 8


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionComposite(layers.Layer):
    """The output of an attention-guided generator (Mejjati et al. 2018; Tang et al. 2019).

    Takes the input image (batch, H, W, 3) in [-1, 1] and the generator's last layer, 4
    channels of pre-activations: 3 of content, 1 of mask. Returns ``[output, mask]``:
    ``output = mask * tanh(content) + (1 - mask) * image`` (batch, H, W, 3) in [-1, 1] and
    ``mask = sigmoid(logit)`` (batch, H, W, 1) in [0, 1]. Where the mask is 0 the input
    passes through untouched, so the generator has to *choose* what to change; the training
    loss prices the mask's area (``Config.lambda_mask``).
    """

    def call(self, image, head):
        image = ops.cast(image, head.dtype)
        content = ops.tanh(head[..., :3])
        mask = ops.sigmoid(head[..., 3:])
        return [mask * content + (1.0 - mask) * image, mask]

    def compute_output_shape(self, image_shape, head_shape):
        return [tuple(image_shape), (*tuple(head_shape)[:-1], 1)]


def _attention_output(inputs, head):
    output, _ = AttentionComposite(dtype="float32", name="attention")(inputs, head)
    return output


def attention_view(generator: keras.Model) -> keras.Model | None:
    """For an attention-guided generator, a model over the same layers (and weights) that
    returns ``[output, mask]`` from one pass; ``None`` for any other generator."""
    try:
        layer = generator.get_layer("attention")
    except ValueError:
        return None
    return keras.Model(generator.input, layer.output, name=f"{generator.name}_with_mask")


def _small_map(layer, x) -> bool:
    """Whether ``layer`` (a 4x4 stride-2 'same' conv or transposed conv) should take the
    matrix-product path for input ``x``: its spatial sizes are known when traced and small
    (a conv's input: even, at most SMALL_CONV_INPUT; a transposed conv's: at most
    SMALL_TRANSPOSED_INPUT)."""
    h, w = x.shape[1], x.shape[2]
    if not (
        layer.small_map_gemm
        and layer.kernel_size == (4, 4)
        and layer.strides == (2, 2)
        and layer.padding == "same"
        and layer.dilation_rate == (1, 1)
        and layer.data_format == "channels_last"
        and h is not None
        and w is not None
    ):
        return False
    if isinstance(layer, layers.Conv2DTranspose):
        return max(h, w) <= SMALL_TRANSPOSED_INPUT
    return h % 2 == 0 and w % 2 == 0 and max(h, w) <= SMALL_CONV_INPUT


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


@keras.saving.register_keras_serializable(package=PACKAGE)
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D`` (same weights, same result) that computes a 4x4 stride-2 'same'
    convolution of a small map as one matrix product (see :data:`SMALL_CONV_INPUT`)."""

    small_map_gemm = True

    def convolution_op(self, inputs, kernel):
        if _small_map(self, inputs):
            return conv4x4_stride2_as_matmul(inputs, kernel)
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Conv2DTranspose(layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose`` (same weights, same result) that computes a 4x4
    stride-2 'same' transposed convolution of a small map as a matrix product + overlap-add."""

    small_map_gemm = True

    def call(self, inputs):
        if not _small_map(self, inputs):
            return super().call(inputs)
        outputs = conv4x4_transpose_stride2_as_matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        return self.activation(outputs)


def set_small_map_gemm(model: keras.Model, enabled: bool) -> int:
    """Switch the matrix-product path of every small-map layer in ``model`` on or off (off:
    stock Keras convolutions throughout, as the reference). Takes effect at the next trace.
    Returns the number of layers switched."""
    switched = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (Conv2D, Conv2DTranspose)):
            layer.small_map_gemm = enabled
            switched += 1
    return switched


def _norm(norm_type: str, affine: bool = True):
    if norm_type == "instancenorm":
        return InstanceNormalization(affine=affine)
    if norm_type == "batchnorm":
        return layers.BatchNormalization()
    raise ValueError(f"norm_type must be 'instancenorm' or 'batchnorm', got {norm_type!r}")


def downsample(filters: int, size: int, norm_type: str = "batchnorm", apply_norm: bool = True):
    """Conv2D(stride 2, 'same', no bias) -> norm -> LeakyReLU: halves height and width."""
    result = keras.Sequential()
    result.add(
        Conv2D(filters, size, strides=2, padding="same", kernel_initializer=_init(), use_bias=False)
    )
    if apply_norm:
        result.add(_norm(norm_type))
    result.add(layers.LeakyReLU(negative_slope=0.3))  # Keras' default slope, as the reference
    return result


def upsample(filters: int, size: int, norm_type: str = "batchnorm", apply_dropout: bool = False):
    """Conv2DTranspose(stride 2, 'same', no bias) -> norm -> Dropout(0.5)? -> ReLU: doubles
    height and width."""
    result = keras.Sequential()
    result.add(
        Conv2DTranspose(
            filters, size, strides=2, padding="same", kernel_initializer=_init(), use_bias=False
        )
    )
    result.add(_norm(norm_type))
    if apply_dropout:
        result.add(layers.Dropout(0.5))
    result.add(layers.ReLU())
    return result


def unet_levels(image_size: int) -> int:
    """Number of down (and up) levels of the U-Net at ``image_size``: log2(size), so the
    innermost level is 1x1. 8 at 256 px, as the reference."""
    levels = int(round(math.log2(image_size))) if image_size > 0 else 0
    if image_size < 2 or 2**levels != image_size:
        raise ValueError(
            f"The U-Net generator needs an image_size that is a power of two "
            f"(e.g. 32, 64, 128, 256); got {image_size}."
        )
    return levels


def unet_generator(
    output_channels: int = 3,
    norm_type: str = "instancenorm",
    image_size: int = 256,
    base_filters: int = 64,
    dropout_layers: int = 3,
    name: str = "unet_generator",
    attention: bool = False,
) -> keras.Model:
    """pix2pix's U-Net generator, ``unet_generator(output_channels, norm_type)``.

    Encoder: downsample(f, no norm), 2f, 4f, then 8f until 1x1 (f = ``base_filters``; at 256 px
    that is 64, 128, 256, 512 x5). Decoder: upsample mirroring the encoder (512 x4, 256, 128, 64
    at 256 px), Dropout(0.5) on the first ``dropout_layers``, each followed by concatenation
    with the mirrored encoder output; last Conv2DTranspose(output_channels, 4, stride 2, tanh).
    Smaller ``image_size`` drops innermost levels (log2(size) levels in all). With
    ``attention``, the last layer gives ``output_channels + 1`` channels, without tanh, and
    :class:`AttentionComposite` turns them into the output (``output_channels`` must be 3).

    Input: (batch, H, W, 3) float in [-1, 1], H and W multiples of ``image_size``.
    Output: (batch, H, W, output_channels) in [-1, 1].
    """
    if attention and output_channels != 3:
        raise ValueError("An attention-guided U-Net outputs images: output_channels must be 3.")
    levels = unet_levels(image_size)
    f = base_filters
    down_filters = [min(f * 2**i, 8 * f) for i in range(levels)]
    down_stack = [downsample(down_filters[0], 4, norm_type, apply_norm=False)] + [
        downsample(filters, 4, norm_type) for filters in down_filters[1:]
    ]
    up_filters = down_filters[-2::-1]
    up_stack = [
        upsample(filters, 4, norm_type, apply_dropout=i < dropout_layers)
        for i, filters in enumerate(up_filters)
    ]
    last = layers.Conv2DTranspose(
        output_channels + 1 if attention else output_channels,
        4,
        strides=2,
        padding="same",
        kernel_initializer=_init(),
        activation=None if attention else "tanh",
        dtype="float32",  # outputs stay float32 under mixed precision
    )
    concat = layers.Concatenate()

    inputs = layers.Input(shape=[None, None, 3])
    x = SizeCheck(image_size, image_size, "This U-Net generator")(inputs)

    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])

    for up, skip in zip(up_stack, skips, strict=True):
        x = up(x)
        x = concat([x, skip])

    x = last(x)
    if attention:
        x = _attention_output(inputs, x)
    return keras.Model(inputs=inputs, outputs=x, name=name)


def discriminator(
    norm_type: str = "instancenorm",
    target: bool = False,
    base_filters: int = 64,
    name: str = "patch_discriminator",
) -> keras.Model:
    """pix2pix's PatchGAN discriminator, ``discriminator(norm_type, target)``.

    downsample 64 (no norm), 128, 256 -> ZeroPadding2D -> Conv2D(512, 4, stride 1, no bias) ->
    norm -> LeakyReLU -> ZeroPadding2D -> Conv2D(1, 4, stride 1). Each logit judges one
    70x70 patch of the input.

    Input: (batch, H, W, 3) in [-1, 1] (and the target image too when ``target=True``, as
    pix2pix), H and W at least 17. Output: logits (batch, H/8 - 2, W/8 - 2, 1); 30x30 at 256 px.
    """
    f = base_filters
    inp = layers.Input(shape=[None, None, 3], name="input_image")
    x = SizeCheck(1, 17, "The PatchGAN discriminator")(inp)
    inputs = inp

    if target:
        tar = layers.Input(shape=[None, None, 3], name="target_image")
        x = layers.concatenate([x, tar])  # (batch, H, W, 6)
        inputs = [inp, tar]

    down1 = downsample(f, 4, norm_type, False)(x)  # (batch, 128, 128, 64)
    down2 = downsample(2 * f, 4, norm_type)(down1)  # (batch, 64, 64, 128)
    down3 = downsample(4 * f, 4, norm_type)(down2)  # (batch, 32, 32, 256)

    zero_pad1 = layers.ZeroPadding2D()(down3)  # (batch, 34, 34, 256)
    conv = layers.Conv2D(8 * f, 4, strides=1, kernel_initializer=_init(), use_bias=False)(
        zero_pad1
    )  # (batch, 31, 31, 512)
    norm1 = _norm(norm_type)(conv)
    leaky_relu = layers.LeakyReLU(negative_slope=0.3)(norm1)
    zero_pad2 = layers.ZeroPadding2D()(leaky_relu)  # (batch, 33, 33, 512)
    last = layers.Conv2D(1, 4, strides=1, kernel_initializer=_init(), dtype="float32")(
        zero_pad2
    )  # (batch, 30, 30, 1)
    return keras.Model(inputs=inputs, outputs=last, name=name)


def patch_discriminator(
    image_size: int | None = None,
    base_filters: int = 64,
    norm_type: str = "instancenorm",
    name: str = "patch_discriminator",
) -> keras.Model:
    """The tutorial's discriminator: ``discriminator(norm_type='instancenorm', target=False)``.

    ``image_size`` is only checked (sides of at least 17 px); the network is fully
    convolutional and gives a (size/8 - 2) square logit map.
    """
    if image_size is not None and image_size < 17:
        raise ValueError(
            f"The PatchGAN discriminator takes sides of at least 17 px; got {image_size}."
        )
    return discriminator(norm_type, target=False, base_filters=base_filters, name=name)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (PyTorch's ``nn.ReflectionPad2d``)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, s):
        grow = 2 * self.padding
        return (
            s[0],
            None if s[1] is None else s[1] + grow,
            None if s[2] is None else s[2] + grow,
            s[3],
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def resnet_block(x, filters: int, use_bias: bool, affine: bool):
    """Reflection-pad 1 -> 3x3 conv -> norm -> ReLU -> reflection-pad 1 -> 3x3 conv -> norm,
    added to the input."""
    y = ReflectionPadding2D(1)(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=_init(), use_bias=use_bias)(y)
    y = InstanceNormalization(affine=affine)(y)
    y = layers.ReLU()(y)
    y = ReflectionPadding2D(1)(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=_init(), use_bias=use_bias)(y)
    y = InstanceNormalization(affine=affine)(y)
    return layers.Add()([x, y])


def resnet_generator(
    output_channels: int = 3,
    image_size: int | None = 256,
    n_blocks: int | None = None,
    base_filters: int = 64,
    use_bias: bool = True,
    affine: bool = False,
    name: str = "resnet_generator",
    attention: bool = False,
) -> keras.Model:
    """The CycleGAN paper's ResNet generator (Johnson et al.'s network; the authors' code).

    c7s1-64 (reflection pad 3, 7x7 conv) -> d128 -> d256 (3x3, stride 2) -> ``n_blocks``
    residual blocks of 256 -> u128 -> u64 (3x3 transposed, stride 2) -> c7s1-3 -> tanh.
    ``n_blocks`` defaults to 9 at 256 px and above, 6 below (the paper's choice for 128 px).
    The defaults (conv biases, non-affine instance norm) are the authors' code: 11,378,179
    parameters with 9 blocks, 7,837,699 with 6. ``attention``: as :func:`unet_generator`'s.

    Input: (batch, H, W, 3) in [-1, 1], H and W multiples of 4. Output: same shape, [-1, 1].
    """
    if image_size is not None and (image_size < 4 or image_size % 4):
        raise ValueError(
            f"The ResNet generator takes sides that are multiples of 4 (e.g. 64, 128, 256); "
            f"got {image_size}."
        )
    if n_blocks is None:
        n_blocks = 9 if image_size is None or image_size >= 256 else 6
    f = base_filters
    inputs = layers.Input(shape=[None, None, 3])
    x = SizeCheck(4, 4, "The ResNet generator")(inputs)

    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(f, 7, kernel_initializer=_init(), use_bias=use_bias)(x)
    x = InstanceNormalization(affine=affine)(x)
    x = layers.ReLU()(x)
    for filters in (2 * f, 4 * f):  # downsampling; pad 1 on each side as PyTorch's padding=1
        x = layers.ZeroPadding2D(1)(x)
        x = layers.Conv2D(filters, 3, strides=2, kernel_initializer=_init(), use_bias=use_bias)(x)
        x = InstanceNormalization(affine=affine)(x)
        x = layers.ReLU()(x)
    for _ in range(n_blocks):
        x = resnet_block(x, 4 * f, use_bias, affine)
    for filters in (2 * f, f):  # upsampling
        x = layers.Conv2DTranspose(
            filters, 3, strides=2, padding="same", kernel_initializer=_init(), use_bias=use_bias
        )(x)
        x = InstanceNormalization(affine=affine)(x)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3)(x)
    channels = output_channels + 1 if attention else output_channels
    x = layers.Conv2D(channels, 7, kernel_initializer=_init(), dtype="float32")(x)
    if attention:
        x = _attention_output(inputs, x)
    else:
        x = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(inputs=inputs, outputs=x, name=name)


def count_params(model: keras.Model) -> int:
    """Number of trainable parameters."""
    return int(sum(math.prod(v.shape) for v in model.trainable_weights))


def build_models(config) -> dict[str, keras.Model]:
    """G (A->B), F (B->A), D_X (judges A) and D_Y (judges B) for a :class:`Config`."""

    def generator(name):
        if config.generator == "unet":
            return unet_generator(
                3,
                "instancenorm",
                config.image_size,
                config.base_filters,
                dropout_layers=config.dropout_layers,
                name=name,
                attention=config.attention,
            )
        return resnet_generator(
            3,
            config.image_size,
            config.resnet_blocks,
            config.base_filters,
            name=name,
            attention=config.attention,
        )

    def disc(name):
        return patch_discriminator(config.image_size, config.discriminator_filters, name=name)

    return {
        "generator_g": generator("generator_g"),
        "generator_f": generator("generator_f"),
        "discriminator_x": disc("discriminator_x"),
        "discriminator_y": disc("discriminator_y"),
    }


def unet_levels_table(model: keras.Model, image_size: int) -> list[tuple[str, str, int]]:
    """The U-Net's levels as (block, output shape at ``image_size``, parameters) rows: the
    encoder going down, then the decoder coming back up (each output concatenated with the
    mirrored encoder output, which doubles its channels)."""
    blocks = [layer for layer in model.layers if isinstance(layer, keras.Sequential)]
    levels = len(blocks) // 2 + 1
    rows = []
    side = image_size
    for i, block in enumerate(blocks[:levels]):
        side //= 2
        filters = block.layers[0].filters
        rows.append((f"down {i + 1}", f"{side}x{side}x{filters}", count_params(block)))
    for i, block in enumerate(blocks[levels:]):
        side *= 2
        filters = block.layers[0].filters
        skip = blocks[levels - 2 - i].layers[0].filters
        rows.append((f"up {i + 1} + skip", f"{side}x{side}x{filters + skip}", count_params(block)))
    last = [layer for layer in model.layers if isinstance(layer, layers.Conv2DTranspose)][-1]
    label = "last (tanh)" if last.activation is keras.activations.tanh else "last (attention)"
    rows.append((label, f"{side * 2}x{side * 2}x{last.filters}", count_params(last)))
    return rows
