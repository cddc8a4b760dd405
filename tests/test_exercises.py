"""Every exercise checker passes the reference answer, says "not done yet" to a stub, and
recognises plausible wrong answers with the hint for each."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from cyclegan_lesson import data, evaluation, exercises, experiments, losses, models, step
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.models import InstanceNormalization


def stub(*args, **kwargs): ...  # noqa: PIE790 -- what a student's cell starts as


def mistake(verdict) -> str | None:
    assert not verdict.passed, verdict
    return verdict.mistake


def test_a_verdict_reads_as_a_tick_or_a_cross():
    assert repr(exercises.check_receptive_field(exercises.receptive_field)).startswith("✅")
    assert repr(exercises.check_receptive_field(stub)).startswith("❌ Not done yet")


# ------------------------------------------------------------------------------------ 01


def test_random_jitter_reference_passes():
    verdict = exercises.check_random_jitter(
        lambda image, size, jitter_size: data.random_jitter(image, size, jitter_size)
    )
    assert verdict.passed, verdict


def seed_style_jitter(resize="nearest", flip=tf.image.random_flip_left_right, crop=True):
    def jitter(image, size, jitter_size):
        image = tf.image.resize(image, [jitter_size, jitter_size], method=resize)
        if crop:
            image = tf.image.random_crop(image, [size, size, 3])
        return flip(image)

    return jitter


def test_random_jitter_the_seed_s_own_code_passes():
    assert exercises.check_random_jitter(seed_style_jitter()).passed


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (seed_style_jitter(resize="bilinear"), "jitter_interpolated"),
        (seed_style_jitter(flip=tf.image.random_flip_up_down), "jitter_upside_down"),
        (seed_style_jitter(crop=False), "jitter_no_crop"),
        (seed_style_jitter(flip=lambda im: im), "jitter_never_flipped"),
        (seed_style_jitter(flip=tf.image.flip_left_right), "jitter_always_flipped"),
        (
            lambda im, size, js: tf.image.random_flip_left_right(
                tf.image.resize(
                    tf.image.resize(im, [js, js], "nearest")[:size, :size], [size, size]
                )
            ),
            "jitter_fixed_crop",
        ),
        (  # crop first, then resize: the image is smaller than the crop
            lambda im, size, js: tf.image.resize(
                tf.image.random_crop(im, [size, size, 3]), [js, js], "nearest"
            ),
            "jitter_raised",
        ),
    ],
)
def test_random_jitter_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_random_jitter(answer)) == hint


def jitter_normalize(image):
    image = tf.image.resize(image, [36, 36], method="nearest")
    image = tf.image.random_flip_left_right(tf.image.random_crop(image, [32, 32, 3]))
    return data.normalize(image)


def resize(image):
    return tf.image.resize(image, [36, 36], method="nearest")


def crop_and_normalize(image):
    image = tf.image.random_flip_left_right(tf.image.random_crop(image, [32, 32, 3]))
    return data.normalize(image)


def test_train_pipeline_with_the_cache_before_the_jitter_passes():
    verdict = exercises.check_train_pipeline(
        lambda raw: raw.map(resize).cache().map(crop_and_normalize).shuffle(100).batch(2)
    )
    assert verdict.passed, verdict


def test_train_pipeline_check_is_not_fooled_by_a_global_seed():
    tf.random.set_seed(0)  # restarts stateful random ops in tf.data every epoch
    verdict = exercises.check_train_pipeline(
        lambda raw: raw.map(resize).cache().map(crop_and_normalize).shuffle(100).batch(2)
    )
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (  # the seed's order: map(preprocess).cache()
            lambda raw: raw.map(jitter_normalize).cache().shuffle(100).batch(2),
            "pipeline_frozen",
        ),
        (lambda raw: raw.map(jitter_normalize).shuffle(100).batch(2), "pipeline_no_cache"),
        (
            lambda raw: raw.map(resize).cache().map(crop_and_normalize).batch(2),
            "pipeline_not_shuffled",
        ),
        (lambda raw: raw.map(resize).cache().map(crop_and_normalize), "pipeline_not_batched"),
        (lambda raw: raw.map(resize).cache().batch(2), "pipeline_not_normalized"),
        (lambda raw: [1, 2], "pipeline_not_dataset"),
    ],
)
def test_train_pipeline_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_train_pipeline(answer)) == hint


# ------------------------------------------------------------------------------------ 02


def my_downsample(bias=False, norm=True, act="leaky", strides=2, padding="same", order="ok"):
    def build(filters, size, apply_norm=True):
        conv = keras.layers.Conv2D(
            filters,
            size,
            strides=strides,
            padding=padding,
            use_bias=bias,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )
        act_layer = keras.layers.LeakyReLU() if act == "leaky" else keras.layers.ReLU()
        parts = [conv]
        if apply_norm and norm:
            parts.append(InstanceNormalization())
        parts.insert(1, act_layer) if order == "act_first" else parts.append(act_layer)
        return keras.Sequential(parts)

    return build


def test_downsample_reference_passes():
    verdict = exercises.check_downsample(
        lambda filters, size, apply_norm=True: models.downsample(
            filters, size, "instancenorm", apply_norm
        )
    )
    assert verdict.passed, verdict
    assert exercises.check_downsample(my_downsample()).passed


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (my_downsample(bias=True), "downsample_bias"),
        (my_downsample(norm=False), "downsample_no_norm"),
        (my_downsample(act="relu"), "downsample_relu"),
        (my_downsample(strides=1), "downsample_no_stride"),
        (my_downsample(padding="valid"), "downsample_padding"),
        (my_downsample(order="act_first"), "downsample_order"),
        (
            lambda filters, size, apply_norm=True: my_downsample()(filters, size, True),
            "downsample_norm_off",
        ),
    ],
)
def test_downsample_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_downsample(answer)) == hint


def test_the_receptive_field_of_the_patchgan_is_70():
    assert exercises.receptive_field(exercises.RF_TESTS[0]) == 70
    assert exercises.check_receptive_field(exercises.receptive_field).passed


def forward_receptive_field(layers):
    r = 1
    for kernel, stride in layers:
        r = (r - 1) * stride + kernel
    return r


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda layers: 1 + sum(k - 1 for k, _ in layers), "rf_no_strides"),
        (forward_receptive_field, "rf_forward"),
        (lambda layers: sum(k for k, _ in layers), "rf_kernels"),
        (lambda layers: 256, "wrong_value"),
    ],
)
def test_receptive_field_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_receptive_field(answer)) == hint


# ------------------------------------------------------------------------------------ 03

bce = keras.losses.BinaryCrossentropy(from_logits=True)
bce_probabilities = keras.losses.BinaryCrossentropy()


def seed_discriminator_loss(real, generated):
    return (bce(tf.ones_like(real), real) + bce(tf.zeros_like(generated), generated)) * 0.5


def test_loss_references_pass():
    assert exercises.check_discriminator_loss(seed_discriminator_loss).passed
    assert exercises.check_generator_loss(lambda g: bce(tf.ones_like(g), g)).passed
    assert exercises.check_cycle_loss(lambda a, b: 10 * tf.reduce_mean(tf.abs(a - b))).passed
    assert exercises.check_identity_loss(lambda a, b: 5 * tf.reduce_mean(tf.abs(a - b))).passed
    # and the package's own, with their defaults
    assert exercises.check_cycle_loss(losses.cycle_loss).passed
    assert exercises.check_identity_loss(losses.identity_loss).passed


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (
            lambda r, g: (bce(tf.zeros_like(r), r) + bce(tf.ones_like(g), g)) * 0.5,
            "loss_labels_swapped",
        ),
        (lambda r, g: bce(tf.ones_like(r), r) + bce(tf.zeros_like(g), g), "loss_no_half"),
        (
            lambda r, g: (
                (bce_probabilities(tf.ones_like(r), r) + bce_probabilities(tf.zeros_like(g), g))
                * 0.5
            ),
            "loss_not_logits",
        ),
        (lambda r, g: bce(tf.ones_like(r), r), "loss_only_real"),
        (lambda r, g: losses.discriminator_loss(r, g, "lsgan"), "loss_lsgan"),
    ],
)
def test_discriminator_loss_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_discriminator_loss(answer)) == hint


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda g: bce(tf.zeros_like(g), g), "gen_labels_zero"),
        (lambda g: bce_probabilities(tf.ones_like(g), g), "loss_not_logits"),
        (lambda g: tf.reduce_mean(tf.square(g - 1)), "loss_lsgan"),
    ],
)
def test_generator_loss_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_generator_loss(answer)) == hint


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda a, b: tf.reduce_mean(tf.abs(a - b)), "cycle_no_lambda"),
        (lambda a, b: 5 * tf.reduce_mean(tf.abs(a - b)), "cycle_half"),
        (lambda a, b: 10 * tf.reduce_mean(tf.square(a - b)), "l1_squared"),
        (lambda a, b: 10 * tf.reduce_sum(tf.abs(a - b)), "loss_sum"),
    ],
)
def test_cycle_loss_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_cycle_loss(answer)) == hint


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda a, b: 10 * tf.reduce_mean(tf.abs(a - b)), "identity_no_half"),
        (lambda a, b: 0.5 * tf.reduce_mean(tf.abs(a - b)), "identity_no_lambda"),
        (lambda a, b: tf.reduce_mean(tf.abs(a - b)), "identity_unweighted"),
        (lambda a, b: 5 * tf.reduce_mean(tf.square(a - b)), "l1_squared"),
    ],
)
def test_identity_loss_recognises_mistakes(answer, hint):
    assert mistake(exercises.check_identity_loss(answer)) == hint


# ------------------------------------------------------------------------------------ 04


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda e, n, d: 1 - max(0, e + 1 - (n - d)) / d, "lr_to_zero"),
        (lambda e, n, d: 1 - max(0, e - (n - d)) / (d + 1), "lr_late"),
        (lambda e, n, d: 1 - e / n, "lr_from_start"),
    ],
)
def test_lr_factor_recognises_mistakes(answer, hint):
    assert exercises.check_lr_factor(step.lr_factor).passed
    assert mistake(exercises.check_lr_factor(answer)) == hint


def seed_gradients(
    real_x, real_y, generator_g, generator_f, discriminator_x, discriminator_y, mistake=None
):
    """The seed's train_step, up to its gradients; ``mistake`` plants one error."""

    def disc_loss(real, generated):
        return (bce(tf.ones_like(real), real) + bce(tf.zeros_like(generated), generated)) * 0.5

    def gen_loss(generated):
        return bce(tf.ones_like(generated), generated)

    def cycle(real, cycled):
        return 10 * tf.reduce_mean(tf.abs(real - cycled))

    def identity(real, same):
        return 5 * tf.reduce_mean(tf.abs(real - same))

    with tf.GradientTape(persistent=mistake != "not_persistent") as tape:
        fake_y = generator_g(real_x, training=True)
        cycled_x = generator_f(fake_y, training=True)
        fake_x = generator_f(real_y, training=True)
        cycled_y = generator_g(fake_x, training=True)
        same_x = generator_f(real_x, training=True)
        same_y = generator_g(real_y, training=True)
        disc_real_x = discriminator_x(real_x, training=True)
        disc_real_y = discriminator_y(real_y, training=True)
        disc_fake_x = discriminator_x(fake_x, training=True)
        disc_fake_y = discriminator_y(fake_y, training=True)
        total_cycle = cycle(real_x, cycled_x) + cycle(real_y, cycled_y)
        id_g, id_f = identity(real_y, same_y), identity(real_x, same_x)
        if mistake == "identity_swapped":
            id_g, id_f = id_f, id_g
        if mistake == "step_no_identity":
            id_g = id_f = 0.0
        total_g = gen_loss(disc_fake_y) + total_cycle + id_g
        total_f = gen_loss(disc_fake_x) + total_cycle + id_f
        disc_x = disc_loss(disc_real_x, disc_fake_x)
        disc_y = disc_loss(disc_real_y, disc_fake_y)
    g, f = generator_g, generator_f
    if mistake == "step_wrong_model":  # each total against the other generator's weights
        g, f = f, g
    grads = (
        tape.gradient(total_g, g.trainable_variables),
        tape.gradient(total_f, f.trainable_variables),
        tape.gradient(disc_x, discriminator_x.trainable_variables),
        tape.gradient(disc_y, discriminator_y.trainable_variables),
    )
    return grads


def test_train_step_the_seed_s_step_passes():
    verdict = exercises.check_train_step(seed_gradients)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    "planted",
    [
        ("not_persistent", "step_not_persistent"),
        ("identity_swapped", "step_no_identity"),
        ("step_no_identity", "step_no_identity"),
        ("step_wrong_model", "step_wrong_model"),
    ],
)
def test_train_step_recognises_mistakes(planted):
    planted, hint = planted

    def answer(*args):
        return seed_gradients(*args, mistake=planted)

    assert mistake(exercises.check_train_step(answer)) == hint


def test_train_step_stub_and_a_wrong_return():
    assert mistake(exercises.check_train_step(stub)) == "not_done"
    assert mistake(exercises.check_train_step(lambda *args: 3)) == "step_return"


def test_the_hint_variants_agree_with_the_package_s_step():
    """The checker's own reference (which it varies to recognise mistakes) is the step."""
    gan = step.CycleGAN(exercises.step_config())
    x = tf.tanh(tf.random.stateless_normal([1, 32, 32, 3], seed=[3, 1]))
    y = tf.tanh(tf.random.stateless_normal([1, 32, 32, 3], seed=[3, 2]))
    reference, _ = gan.tutorial_gradients(x, y)
    mine = exercises._variant_gradients(gan.models, x, y)
    for name, grads in zip(step.MODEL_NAMES, mine, strict=True):
        for a, b in zip(reference[name], grads, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6)


# ------------------------------------------------------------------------------------ 05


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda x: ((np.asarray(x) + 1) * 127.5).astype(np.uint8), "uint8_truncated"),
        (lambda x: np.round((np.asarray(x) + 1) * 127.5).astype(np.uint8), "uint8_no_clip"),
        (lambda x: np.clip(np.round(np.asarray(x) * 255), 0, 255).astype(np.uint8), "uint8_scale"),
        (lambda x: np.clip(np.round((np.asarray(x) + 1) * 127.5), 0, 255), "uint8_dtype"),
    ],
)
def test_to_uint8_recognises_mistakes(answer, hint):
    assert exercises.check_to_uint8(data.to_uint8).passed
    assert mistake(exercises.check_to_uint8(answer)) == hint


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda a, b: 2 * (a & b).sum() / (a.sum() + b.sum()), "iou_dice"),
        (lambda a, b: (a & b).sum() / a.sum(), "iou_over_first"),
        (lambda a, b: (a & b).sum() / (a | b).sum(), "iou_empty"),
    ],
)
def test_iou_recognises_mistakes(answer, hint):
    assert exercises.check_iou(evaluation.iou).passed
    assert mistake(exercises.check_iou(answer)) == hint


# ------------------------------------------------------------------------------------ 06


@pytest.mark.parametrize(
    "answer, hint",
    [
        (..., "not_done"),
        ("no cycle loss", "prediction_no_cycle_loss"),
        ("no identity loss", "prediction_no_identity_loss"),
        ("no change price", "prediction_no_change_price"),
        ("Attention", "prediction_attention"),
        ("less cycles", "prediction_unknown"),
    ],
)
def test_prediction_recognises_mistakes(answer, hint):
    assert exercises.check_prediction(" Lambda 1 ").passed
    assert mistake(exercises.check_prediction(answer)) == hint


def test_every_wrong_prediction_has_its_own_hint():
    for option in set(exercises.PREDICTION_OPTIONS) - {"lambda 1"}:
        verdict = exercises.check_prediction(option)
        assert not verdict.passed and verdict.mistake.startswith("prediction_"), option
        assert verdict.mistake != "prediction_unknown", option


@pytest.mark.parametrize(
    "changes, hint",
    [
        ({"lambda_cylce": 3.0}, "variant_unknown_setting"),
        ({"epochs": 5}, "variant_fixed"),
        ({"lambda_cycle": 10.0}, "variant_no_change"),
        ({"lambda_cycle": 3.0, "pool_size": 0}, "variant_two_changes"),
        ({"seed": 2}, "variant_seed"),
        ({"image_size": 32}, "variant_fixed"),
        ({"loss": "hinge"}, "raised"),
    ],
)
def test_variant_recognises_mistakes(changes, hint):
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.experiments import Variant, short_run

    base = short_run(PROFILES["demo"], steps=500, image_size=64)
    assert exercises.check_variant(Variant("lambda 3", {"lambda_cycle": 3.0}), base).passed
    assert mistake(exercises.check_variant(Variant("mine", changes), base)) == hint
    verdict = exercises.check_variant(Variant("mine", {"lambda_cylce": 3.0}), base)
    assert "Did you mean 'lambda_cycle'?" in verdict.message
    assert mistake(exercises.check_variant(Variant("BCE", {"loss": "bce"}), base)) == (
        "variant_name_taken"
    )
    assert mistake(exercises.check_variant({"lambda_cycle": 3.0}, base)) == "variant_type"
    assert mistake(exercises.check_variant(..., base)) == "not_done"


def _float(a, b):
    return a.astype(np.float32), b.astype(np.float32)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (stub, "not_done"),
        (lambda a, b, g: np.clip(np.abs(a - b) / 255 * g, 0, 1), "amplify_uint8"),
        (lambda a, b, g: np.clip((_float(a, b)[0] - b) / 255 * g, 0, 1), "amplify_no_abs"),
        (lambda a, b, g: np.clip(np.abs(np.subtract(*_float(a, b))) * g, 0, 1), "amplify_no_scale"),
        (lambda a, b, g: np.abs(np.subtract(*_float(a, b))) / 255 * g, "amplify_no_clip"),
        (lambda a, b, g: np.abs(np.subtract(*_float(a, b))) / 255, "amplify_wrong"),
    ],
)
def test_amplify_recognises_mistakes(answer, hint):
    from cyclegan_lesson.steganography import amplify

    assert exercises.check_amplify(amplify).passed
    assert mistake(exercises.check_amplify(answer)) == hint


def test_every_notebook_has_at_least_two_checkers():
    assert all(len(checks) >= 2 for checks in exercises.CHECKS.values())


# ------------------------------------------------------------------------- zh-CN hints


def _fields(text: str) -> list[str]:
    import string

    return sorted(
        f"{name}!{conv}:{spec}"
        for _, name, spec, conv in string.Formatter().parse(text)
        if name is not None
    )


@pytest.mark.parametrize("table", ["HINTS", "PASSES"])
def test_the_chinese_tables_have_every_key_with_the_same_placeholders(table):
    from cyclegan_lesson import hints_zh

    english, chinese = getattr(exercises, table), getattr(hints_zh, table)
    assert list(chinese) == list(english)
    for key, text in english.items():
        assert _fields(chinese[key]) == _fields(text), key
        assert re.search(r"[\u4e00-\u9fff]", chinese[key]), key


def test_the_language_comes_from_the_variable_or_a_zh_cn_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert exercises.language() == "en"
    (tmp_path / "zh-CN").mkdir()
    monkeypatch.chdir(tmp_path / "zh-CN")  # where Jupyter starts a zh-CN notebook's kernel
    assert exercises.language() == "zh-CN"
    monkeypatch.setenv("CYCLEGAN_LESSON_LANGUAGE", "en")
    assert exercises.language() == "en"
    monkeypatch.setenv("CYCLEGAN_LESSON_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="CYCLEGAN_LESSON_LANGUAGE must be one of"):
        exercises.language()


def test_on_colab_the_language_is_the_open_notebooks(tmp_path, monkeypatch):
    """Colab runs every kernel in /content, so the zh-CN edition is told by the language in
    the open notebook's metadata, which Colab's front end returns for "get_ipynb"."""
    import types

    asked = []
    metadata = {"language": "zh-CN"}

    def blocking_request(request_type, timeout_sec=None):
        asked.append(request_type)
        if metadata is None:
            raise TimeoutError("the front end did not answer")  # as on an older Colab
        return {"ipynb": {"metadata": metadata, "cells": []}}

    colab = types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", colab._message)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CYCLEGAN_LESSON_LANGUAGE", raising=False)
    assert exercises.language() == "zh-CN"
    assert asked == ["get_ipynb"]
    assert repr(exercises.check_receptive_field(exercises.receptive_field)).startswith("✅ 正确！")
    metadata = {"language": "fr"}  # not an edition: English
    assert exercises.language() == "en"
    metadata = {}  # an English notebook has none
    assert exercises.language() == "en"
    metadata = None
    assert exercises.language() == "en"
    monkeypatch.setenv("CYCLEGAN_LESSON_LANGUAGE", "zh-CN")  # the variable still wins
    metadata = {"language": "en"}
    assert exercises.language() == "zh-CN"


def test_a_checker_answers_in_the_notebooks_language(monkeypatch):
    from cyclegan_lesson import hints_zh

    def dice(a, b):
        return 2 * (a & b).sum() / (a.sum() + b.sum())

    english = exercises.check_iou(dice)
    monkeypatch.setenv("CYCLEGAN_LESSON_LANGUAGE", "zh-CN")
    chinese = exercises.check_iou(dice)
    assert english.mistake == chinese.mistake == "iou_dice"
    assert chinese.message == hints_zh.HINTS["iou_dice"] != english.message
    passed = exercises.check_receptive_field(exercises.receptive_field)
    assert repr(passed).startswith("✅ 正确！PatchGAN 的 70 x 70")
    assert repr(exercises.check_iou(stub)) == "❌ " + hints_zh.HINTS["not_done"]
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.experiments import Variant

    typo = exercises.check_variant(Variant("mine", {"lambda_cylce": 3.0}), PROFILES["demo"])
    assert "没有名为 'lambda_cylce' 的设置。你是不是想写 'lambda_cycle'？" in typo.message


def test_the_prediction_options_are_the_demo_ablations():
    base = experiments.short_run(PROFILES["demo"], steps=500, image_size=64)
    names = {v.name for v in experiments.ablations(base)[1:]}
    assert set(exercises.PREDICTION_OPTIONS) == names
