"""The networks: pix2pix's U-Net generator and PatchGAN discriminator (what the seed tutorial
imports from ``tensorflow_examples``), then the paper's ResNet generator, then what this package
adds around them.

The first half follows ``tensorflow_examples/models/pix2pix/pix2pix.py`` block by block, in its
order and under its names: ``InstanceNormalization``, ``downsample``, ``upsample``,
``unet_generator``, ``discriminator``. At 256 px with 64 base filters the parameter counts match
it exactly (U-Net 54,414,979, PatchGAN 2,765,569), and ``tests/test_reference.py`` copies the
reference's weights into these models and gets the same outputs and gradients.

What the package adds, after the ResNet generator: other image sizes and widths, a clear error
for an image size a model cannot take (:class:`SizeCheck`), attention-guided generators
(:class:`AttentionComposite`), and :func:`build_models`, the four networks of a run. The CPU
speed-ups (matrix-product convolutions on small maps) live in :mod:`cyclegan_lesson.speedups`,
which swaps them into these models' layers without changing a weight.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

PACKAGE = "cyclegan_lesson"


# --------------------------------------------------------------------------------- pix2pix


@keras.saving.register_keras_serializable(package=PACKAGE)
class InstanceNormalization(layers.Layer):
    """Instance normalisation (Ulyanov et al. 2016): each image's channels get zero mean and
    unit variance over the spatial axes, then an optional learned scale and offset.

    Input and output: (batch, height, width, channels). ``affine=True`` (the reference's)
    learns ``scale`` ~ N(1, 0.02) and ``offset`` = 0 per channel; ``affine=False`` (the
    paper's code) learns nothing.
    """

    def __init__(self, epsilon: float = 1e-5, affine: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.affine = affine

    def build(self, input_shape):
        if self.affine:
            self.scale = self.add_weight(
                name="scale",
                shape=input_shape[-1:],
                initializer=keras.initializers.RandomNormal(1.0, 0.02),
            )
            self.offset = self.add_weight(
                name="offset", shape=input_shape[-1:], initializer="zeros"
            )

    def call(self, x):
        # Moments in float32 even under mixed precision: a variance in 16 bits loses too much.
        x32 = ops.cast(x, "float32")
        mean, variance = ops.moments(x32, axes=[1, 2], keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        normalized = ops.cast((x32 - mean) * inv, x.dtype)
        if self.affine:
            return ops.cast(self.scale, x.dtype) * normalized + ops.cast(self.offset, x.dtype)
        return normalized

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}


def _norm(norm_type: str):
    if norm_type.lower() == "batchnorm":
        return layers.BatchNormalization()
    if norm_type.lower() == "instancenorm":
        return InstanceNormalization()
    raise ValueError(f"norm_type must be 'batchnorm' or 'instancenorm', got {norm_type!r}")


def downsample(filters: int, size: int, norm_type: str = "batchnorm", apply_norm: bool = True):
    """Downsamples an input: Conv2D (stride 2) => norm => LeakyReLU.

    (batch, H, W, c) -> (batch, H/2, W/2, ``filters``). ``norm_type``: 'batchnorm' or
    'instancenorm'; ``apply_norm=False`` leaves the norm out (the first block of each net).
    """
    initializer = keras.initializers.RandomNormal(0.0, 0.02)

    result = keras.Sequential()
    result.add(
        layers.Conv2D(
            filters,
            size,
            strides=2,
            padding="same",
            kernel_initializer=initializer,
            use_bias=False,
        )
    )

    if apply_norm:
        result.add(_norm(norm_type))

    result.add(layers.LeakyReLU())  # Keras' default slope, 0.3, as the reference

    return result


def upsample(filters: int, size: int, norm_type: str = "batchnorm", apply_dropout: bool = False):
    """Upsamples an input: Conv2DTranspose (stride 2) => norm => Dropout(0.5)? => ReLU.

    (batch, H, W, c) -> (batch, 2H, 2W, ``filters``).
    """
    initializer = keras.initializers.RandomNormal(0.0, 0.02)

    result = keras.Sequential()
    result.add(
        layers.Conv2DTranspose(
            filters,
            size,
            strides=2,
            padding="same",
            kernel_initializer=initializer,
            use_bias=False,
        )
    )

    result.add(_norm(norm_type))

    if apply_dropout:
        result.add(layers.Dropout(0.5))

    result.add(layers.ReLU())

    return result


def unet_generator(
    output_channels: int = 3,
    norm_type: str = "instancenorm",
    image_size: int = 256,
    base_filters: int = 64,
    dropout_layers: int = 3,
    name: str = "unet_generator",
    attention: bool = False,
) -> keras.Model:
    """pix2pix's modified U-Net generator (Isola et al. 2017), ``unet_generator(output_channels,
    norm_type)`` of the reference.

    Eight levels at 256 px, written out below as the reference writes them; ``f`` =
    ``base_filters`` (64). A smaller ``image_size`` (a power of two, at most 256) keeps the
    outer levels and drops inner ones, so the innermost map is 1x1 at any size (128 px: 7
    levels). ``dropout_layers`` (0-3): Dropout(0.5) in that many of the innermost up blocks
    (the reference: 3; a dropped level takes its dropout with it). ``attention``: see
    :class:`AttentionComposite` (``output_channels`` must be 3).

    Input: (batch, H, W, 3) float in [-1, 1], H and W multiples of ``image_size``.
    Output: (batch, H, W, ``output_channels``) in [-1, 1].
    """
    if attention and output_channels != 3:
        raise ValueError("An attention-guided U-Net outputs images: output_channels must be 3.")
    if not 0 <= dropout_layers <= 3:
        raise ValueError(f"dropout_layers must be 0 to 3 (the reference: 3), got {dropout_layers}")
    levels = unet_levels(image_size)
    f = base_filters

    down_stack = [
        downsample(f, 4, norm_type, apply_norm=False),  # (bs, 128, 128, 64)
        downsample(2 * f, 4, norm_type),  # (bs, 64, 64, 128)
        downsample(4 * f, 4, norm_type),  # (bs, 32, 32, 256)
        downsample(8 * f, 4, norm_type),  # (bs, 16, 16, 512)
        downsample(8 * f, 4, norm_type),  # (bs, 8, 8, 512)
        downsample(8 * f, 4, norm_type),  # (bs, 4, 4, 512)
        downsample(8 * f, 4, norm_type),  # (bs, 2, 2, 512)
        downsample(8 * f, 4, norm_type),  # (bs, 1, 1, 512)
    ]

    up_stack = [
        upsample(8 * f, 4, norm_type, apply_dropout=dropout_layers >= 1),  # (bs, 2, 2, 1024)
        upsample(8 * f, 4, norm_type, apply_dropout=dropout_layers >= 2),  # (bs, 4, 4, 1024)
        upsample(8 * f, 4, norm_type, apply_dropout=dropout_layers >= 3),  # (bs, 8, 8, 1024)
        upsample(8 * f, 4, norm_type),  # (bs, 16, 16, 1024)
        upsample(4 * f, 4, norm_type),  # (bs, 32, 32, 512)
        upsample(2 * f, 4, norm_type),  # (bs, 64, 64, 256)
        upsample(f, 4, norm_type),  # (bs, 128, 128, 128)
    ]

    # A smaller image drops the innermost levels: the last down blocks, the first up blocks.
    dropped = 8 - levels
    down_stack = down_stack[: len(down_stack) - dropped]
    up_stack = up_stack[dropped:]

    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    last = layers.Conv2DTranspose(
        output_channels + 1 if attention else output_channels,
        4,
        strides=2,
        padding="same",
        kernel_initializer=initializer,
        activation=None if attention else "tanh",
        dtype="float32",  # outputs stay float32 under mixed precision
    )  # (bs, 256, 256, 3)

    concat = layers.Concatenate()

    inputs = layers.Input(shape=[None, None, 3])
    x = SizeCheck(image_size, image_size, "This U-Net generator")(inputs)

    # Downsampling through the model
    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)

    skips = reversed(skips[:-1])

    # Upsampling and establishing the skip connections
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
    """pix2pix's PatchGAN discriminator, ``discriminator(norm_type, target)`` of the reference.

    Each logit judges one 70x70 patch of the input. Input: (batch, H, W, 3) in [-1, 1] (and
    the target image too when ``target=True``, as pix2pix), H and W at least 17. Output:
    logits (batch, H/8 - 2, W/8 - 2, 1); 30x30 at 256 px.
    """
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    f = base_filters

    inp = layers.Input(shape=[None, None, 3], name="input_image")
    x = SizeCheck(1, 17, "The PatchGAN discriminator")(inp)

    if target:
        tar = layers.Input(shape=[None, None, 3], name="target_image")
        x = layers.concatenate([x, tar])  # (bs, 256, 256, channels*2)

    down1 = downsample(f, 4, norm_type, False)(x)  # (bs, 128, 128, 64)
    down2 = downsample(2 * f, 4, norm_type)(down1)  # (bs, 64, 64, 128)
    down3 = downsample(4 * f, 4, norm_type)(down2)  # (bs, 32, 32, 256)

    zero_pad1 = layers.ZeroPadding2D()(down3)  # (bs, 34, 34, 256)
    conv = layers.Conv2D(8 * f, 4, strides=1, kernel_initializer=initializer, use_bias=False)(
        zero_pad1
    )  # (bs, 31, 31, 512)

    norm1 = _norm(norm_type)(conv)

    leaky_relu = layers.LeakyReLU()(norm1)

    zero_pad2 = layers.ZeroPadding2D()(leaky_relu)  # (bs, 33, 33, 512)

    last = layers.Conv2D(1, 4, strides=1, kernel_initializer=initializer, dtype="float32")(
        zero_pad2
    )  # (bs, 30, 30, 1)

    if target:
        return keras.Model(inputs=[inp, tar], outputs=last, name=name)
    return keras.Model(inputs=inp, outputs=last, name=name)


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


# ------------------------------------------------------------------------ the paper's ResNet


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
    added to the input. (batch, H, W, ``filters``) -> the same shape."""
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    y = ReflectionPadding2D(1)(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=initializer, use_bias=use_bias)(y)
    y = InstanceNormalization(affine=affine)(y)
    y = layers.ReLU()(y)
    y = ReflectionPadding2D(1)(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=initializer, use_bias=use_bias)(y)
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
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    f = base_filters
    inputs = layers.Input(shape=[None, None, 3])
    x = SizeCheck(4, 4, "The ResNet generator")(inputs)

    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(f, 7, kernel_initializer=initializer, use_bias=use_bias)(x)
    x = InstanceNormalization(affine=affine)(x)
    x = layers.ReLU()(x)
    for filters in (2 * f, 4 * f):  # downsampling; pad 1 on each side as PyTorch's padding=1
        x = layers.ZeroPadding2D(1)(x)
        x = layers.Conv2D(filters, 3, strides=2, kernel_initializer=initializer, use_bias=use_bias)(
            x
        )
        x = InstanceNormalization(affine=affine)(x)
        x = layers.ReLU()(x)
    for _ in range(n_blocks):
        x = resnet_block(x, 4 * f, use_bias, affine)
    for filters in (2 * f, f):  # upsampling
        x = layers.Conv2DTranspose(
            filters, 3, strides=2, padding="same", kernel_initializer=initializer, use_bias=use_bias
        )(x)
        x = InstanceNormalization(affine=affine)(x)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3)(x)
    channels = output_channels + 1 if attention else output_channels
    x = layers.Conv2D(channels, 7, kernel_initializer=initializer, dtype="float32")(x)
    if attention:
        x = _attention_output(inputs, x)
    else:
        x = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(inputs=inputs, outputs=x, name=name)


# ------------------------------------------------------------------- what the package adds


def unet_levels(image_size: int) -> int:
    """Number of down levels of the U-Net at ``image_size``: log2(size), so the innermost map
    is 1x1; 8 at 256 px, as the reference. Raises a ValueError for other sizes."""
    levels = int(round(math.log2(image_size))) if image_size > 0 else 0
    if image_size < 2 or 2**levels != image_size or levels > 8:
        raise ValueError(
            f"The U-Net generator needs an image_size that is a power of two up to 256 "
            f"(e.g. 32, 64, 128, 256); got {image_size}. A U-Net built for 256 px also runs on "
            "larger images whose sides are multiples of 256."
        )
    return levels


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


def count_params(model: keras.Model) -> int:
    """Number of trainable parameters."""
    return int(sum(math.prod(v.shape) for v in model.trainable_weights))


def build_models(config) -> dict[str, keras.Model]:
    """G (X->Y), F (Y->X), D_X (judges X) and D_Y (judges Y) for a :class:`Config`, under
    the names the checkpoints use: ``generator_g``, ``generator_f``, ``discriminator_x``,
    ``discriminator_y``. Stock Keras layers; :func:`speedups.apply` may swap in faster ones."""

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
