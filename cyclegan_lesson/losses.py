"""CycleGAN's losses: adversarial (the tutorial's BCE or the paper's LSGAN), cycle, identity, and
the price of an attention-guided generator's mask.

Every function returns a scalar: a mean over all elements of its inputs, so the value does not
depend on the batch size or the size of the discriminator's patch map.
"""

from __future__ import annotations

import tensorflow as tf

LAMBDA = 10.0  # weight of the cycle loss, as the seed
ADVERSARIAL = ("bce", "lsgan")


def _bce(labels_value: float, logits: tf.Tensor) -> tf.Tensor:
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), labels_value)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def _mse(target_value: float, outputs: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.square(tf.cast(outputs, tf.float32) - target_value))


def _check(kind: str) -> None:
    if kind not in ADVERSARIAL:
        raise ValueError(f"loss kind must be one of {ADVERSARIAL}, got {kind!r}")


def discriminator_loss(real: tf.Tensor, generated: tf.Tensor, kind: str = "bce") -> tf.Tensor:
    """0.5 * (loss of calling ``real`` real + loss of calling ``generated`` fake).

    ``real``/``generated``: the discriminator's outputs (any shape; logits for ``bce``).
    bce: BCE-from-logits against 1 and 0; lsgan: mean (D - 1)^2 and mean D^2.
    """
    _check(kind)
    loss = _bce if kind == "bce" else _mse
    return 0.5 * (loss(1.0, real) + loss(0.0, generated))


def generator_loss(generated: tf.Tensor, kind: str = "bce") -> tf.Tensor:
    """The generator wants its fakes called real: BCE against 1, or mean (D(fake) - 1)^2."""
    _check(kind)
    return _bce(1.0, generated) if kind == "bce" else _mse(1.0, generated)


def _mean_l1(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """mean |a - b| in float32, whatever the images' dtype (mixed precision)."""
    return tf.reduce_mean(tf.abs(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)))


def cycle_loss(real_image: tf.Tensor, cycled_image: tf.Tensor, lam: float = LAMBDA) -> tf.Tensor:
    """``lam`` * mean |x - F(G(x))|: the round trip should give the input back."""
    return lam * _mean_l1(real_image, cycled_image)


def identity_loss(
    real_image: tf.Tensor, same_image: tf.Tensor, lam: float = LAMBDA, weight: float = 0.5
) -> tf.Tensor:
    """``lam * weight`` * mean |y - G(y)|: a generator fed its own target domain should leave
    the image alone (the seed's LAMBDA * 0.5)."""
    return lam * weight * _mean_l1(real_image, same_image)


def change_loss(
    real_image: tf.Tensor, translated_image: tf.Tensor, weight: float = 2.0
) -> tf.Tensor:
    """``weight`` * mean |x - G(x)|: the price of every pixel a generator changes on the images
    it translates (the self-regularisation of Shrivastava et al. 2017). The identity loss asks
    G to leave its *target* domain alone; this one charges it for each change to its *source*
    domain too, so a change must buy more realism from the discriminator than it costs. An
    animal's new coat pays; a faint texture over the grass or an outline grown by a pixel
    does not. Images in [-1, 1]; the result is a scalar >= 0, in float32."""
    return weight * _mean_l1(real_image, translated_image)


def mask_loss(mask: tf.Tensor, weight: float = 2.0) -> tf.Tensor:
    """``weight`` * mean(mask): the price of an attention-guided generator's changes. Masks
    are in [0, 1]; 1 where the generator paints its own content, 0 where the input passes
    through. Without it, every pixel a discriminator likes more as the target's texture than
    as background (a zebra's outline grown by a pixel, stripes on the grass) is free."""
    return weight * tf.reduce_mean(tf.cast(mask, tf.float32))
