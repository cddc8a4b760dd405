import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lesson import losses


def test_bce_generator_loss_by_hand():
    logits = tf.constant([[[[0.0]], [[2.0]]]])  # (1, 2, 1, 1) patch map
    expected = (math.log(2.0) + math.log1p(math.exp(-2.0))) / 2
    assert float(losses.generator_loss(logits)) == pytest.approx(expected, rel=1e-6)


def test_bce_discriminator_loss_by_hand():
    real, fake = tf.constant([2.0]), tf.constant([-1.0])
    expected = 0.5 * (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0)))
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-6)


def test_bce_matches_the_seeds_keras_loss_object():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(2, 30, 30, 1)).astype(np.float32)
    fake = rng.normal(size=(2, 30, 30, 1)).astype(np.float32)
    loss_obj = keras.losses.BinaryCrossentropy(from_logits=True)
    seed_d = 0.5 * (loss_obj(np.ones_like(real), real) + loss_obj(np.zeros_like(fake), fake))
    seed_g = loss_obj(np.ones_like(fake), fake)
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(float(seed_d), rel=1e-5)
    assert float(losses.generator_loss(fake)) == pytest.approx(float(seed_g), rel=1e-5)


def test_lsgan_by_hand():
    real, fake = tf.constant([0.5, 1.5]), tf.constant([0.2, 0.6])
    # 0.5 * (mean((r - 1)^2) + mean(f^2)) = 0.5 * (0.25 + (0.04 + 0.36) / 2)
    assert float(losses.discriminator_loss(real, fake, "lsgan")) == pytest.approx(0.225)
    # mean((f - 1)^2) = (0.64 + 0.16) / 2
    assert float(losses.generator_loss(fake, "lsgan")) == pytest.approx(0.4)


def test_cycle_and_identity_by_hand():
    x = tf.constant([[0.0, 1.0], [-1.0, 0.5]])
    x_hat = tf.constant([[0.5, 1.0], [0.0, 0.0]])  # |diff| = 0.5, 0, 1, 0.5: mean 0.5
    assert float(losses.cycle_loss(x, x_hat)) == pytest.approx(5.0)
    assert float(losses.cycle_loss(x, x_hat, lam=1.0)) == pytest.approx(0.5)
    assert float(losses.identity_loss(x, x_hat)) == pytest.approx(2.5)
    assert float(losses.identity_loss(x, x_hat, lam=10, weight=0.1)) == pytest.approx(0.5)


def test_change_loss_by_hand_and_its_gradient():
    x = tf.constant([[0.0, 1.0], [-1.0, 0.5]])
    g_x = tf.Variable([[0.5, 1.0], [0.0, 0.25]])  # |diff| = 0.5, 0, 1, 0.25: mean 0.4375
    with tf.GradientTape() as tape:
        price = losses.change_loss(x, g_x, 2.0)
    assert float(price) == pytest.approx(0.875)
    assert float(losses.change_loss(x, g_x, 0.0)) == 0.0
    assert float(losses.change_loss(x, x)) == 0.0
    # each changed pixel is pushed back towards x with weight / N; an unchanged one (L1's
    # subgradient at 0) is left alone
    np.testing.assert_allclose(tape.gradient(price, g_x), [[0.5, 0.0], [0.5, -0.5]])
    half = tf.cast(x, tf.bfloat16)  # a mixed-precision output: the price is float32
    assert losses.change_loss(x, half).dtype == tf.float32


def test_generator_bce_gradient_is_sigmoid_minus_one_over_n():
    logits = tf.Variable([[0.3, -1.2], [2.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = losses.generator_loss(logits)
    grad = tape.gradient(loss, logits).numpy()
    expected = (1 / (1 + np.exp(-logits.numpy())) - 1.0) / logits.numpy().size
    np.testing.assert_allclose(grad, expected, rtol=1e-5)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="loss kind must be one of"):
        losses.generator_loss(tf.zeros([1]), "wasserstein")
