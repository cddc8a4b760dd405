"""How much of a 256-px training step is instance normalisation?

    python benchmarks/instance_norm.py

Records the shape entering every InstanceNormalization layer of the tutorial's U-Net and
PatchGAN at 256 px, then times forward + backward of instance norm alone over one training
step's worth of those activations (generators: 6 image passes, discriminators: 4), to set
against `train_step.py`'s step time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine, median_seconds  # noqa: E402

from cyclegan_lesson.models import (  # noqa: E402
    InstanceNormalization,
    patch_discriminator,
    unet_generator,
)


def norm_input_shapes(model: tf.keras.Model, size: int) -> list[tuple[int, ...]]:
    """(H, W, C) of the input of each InstanceNormalization layer in one forward pass."""
    shapes = []
    original = InstanceNormalization.call

    def recording(layer, x):
        shapes.append(tuple(x.shape[1:]))
        return original(layer, x)

    try:
        InstanceNormalization.call = recording
        model(tf.zeros([1, size, size, 3]))
    finally:
        InstanceNormalization.call = original
    return shapes


def main() -> None:
    print(f"machine: {machine()}")
    size = 256
    groups = (
        (norm_input_shapes(unet_generator(image_size=size), size), 6),
        (norm_input_shapes(patch_discriminator(size), size), 4),
    )
    layers, tensors = [], []
    for shapes, images in groups:
        for shape in shapes:
            layer = InstanceNormalization()
            tensor = tf.random.normal([images, *shape])
            layer(tensor)
            layers.append(layer)
            tensors.append(tensor)
    variables = [v for layer in layers for v in layer.trainable_variables]

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            loss = tf.add_n(
                [tf.reduce_sum(n(t) * 1.001) for n, t in zip(layers, tensors, strict=True)]
            )
        grads = tape.gradient(loss, tensors + variables)
        return tf.add_n([tf.reduce_sum(g) for g in grads])

    seconds = median_seconds(lambda: float(forward_backward()), 7)
    count = sum(len(shapes) for shapes, _ in groups)
    print(f"{count} instance-norm layers, one step's activations: {seconds:.3f} s forward+backward")


if __name__ == "__main__":
    main()
