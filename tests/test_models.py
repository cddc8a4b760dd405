import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from cyclegan_lesson import models, speedups
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.models import (
    InstanceNormalization,
    build_models,
    count_params,
    patch_discriminator,
    resnet_generator,
    unet_generator,
)


@pytest.fixture(scope="module")
def unet256():
    return unet_generator(3, "instancenorm")


@pytest.fixture(scope="module")
def disc256():
    return patch_discriminator(256)


def test_published_parameter_counts(unet256, disc256):
    assert count_params(unet256) == 54_414_979
    assert count_params(disc256) == 2_765_569
    assert 2 * count_params(unet256) + 2 * count_params(disc256) == 114_361_096
    assert count_params(resnet_generator(3, 256)) == 11_378_179  # 9 blocks
    assert count_params(resnet_generator(3, 128)) == 7_837_699  # 6 blocks


def _blocks(model):
    return [layer for layer in model.layers if layer.__class__.__name__ == "Sequential"]


def test_unet_has_the_reference_layer_sequence(unet256):
    blocks = _blocks(unet256)
    downs, ups = blocks[:8], blocks[8:]
    assert [b.layers[0].filters for b in downs] == [64, 128, 256, 512, 512, 512, 512, 512]
    assert [b.layers[0].filters for b in ups] == [512, 512, 512, 512, 256, 128, 64]
    assert all(isinstance(b.layers[0], layers.Conv2D) for b in downs)
    assert all(isinstance(b.layers[0], layers.Conv2DTranspose) for b in ups)
    assert all(b.layers[0].kernel_size == (4, 4) and b.layers[0].strides == (2, 2) for b in blocks)
    assert not any(b.layers[0].use_bias for b in blocks)
    # no norm on the first down block, instance norm on the others
    assert [type(b.layers[1]).__name__ for b in downs] == ["LeakyReLU"] + [
        "InstanceNormalization"
    ] * 7
    assert all(b.layers[-1].negative_slope == pytest.approx(0.3) for b in downs)
    dropout = [any(isinstance(x, layers.Dropout) for x in b.layers) for b in ups]
    assert dropout == [True, True, True, False, False, False, False]
    last = unet256.layers[-1]
    assert isinstance(last, layers.Conv2DTranspose)
    assert (last.filters, last.use_bias, last.activation.__name__) == (3, True, "tanh")


def test_kernels_start_from_normal_002(unet256):
    kernel = _blocks(unet256)[3].layers[0].kernel.numpy()
    assert abs(kernel.mean()) < 1e-3 and kernel.std() == pytest.approx(0.02, rel=0.05)


def test_smaller_unets_drop_innermost_levels():
    model = unet_generator(image_size=32, base_filters=8)
    downs, ups = _blocks(model)[:5], _blocks(model)[5:]
    assert [b.layers[0].filters for b in downs] == [8, 16, 32, 64, 64]
    assert [b.layers[0].filters for b in ups] == [64, 32, 16, 8]
    # the dropped inner levels take their dropout with them: 128 px keeps two of the three
    ups = _blocks(unet_generator(image_size=128, base_filters=8))[7:]
    dropout = [any(isinstance(x, layers.Dropout) for x in b.layers) for b in ups]
    assert dropout == [True, True, False, False, False, False]
    with pytest.raises(ValueError, match="up to 256"):
        unet_generator(image_size=512)
    with pytest.raises(ValueError, match="dropout_layers must be 0 to 3"):
        unet_generator(image_size=32, dropout_layers=4)


@pytest.mark.parametrize("size", [32, 64, 128, 256])
@pytest.mark.parametrize("batch", [1, 2])
def test_output_shapes(size, batch, unet256, disc256):
    x = tf.random.uniform([batch, size, size, 3], -1, 1)
    unet = unet256 if size == 256 else unet_generator(image_size=size, base_filters=16)
    out = unet(x)
    assert out.shape == (batch, size, size, 3)
    assert float(tf.reduce_max(tf.abs(out))) <= 1.0
    assert resnet_generator(image_size=size, base_filters=8)(x).shape == (batch, size, size, 3)
    patches = size // 8 - 2
    assert disc256(x).shape == (batch, patches, patches, 1)
    if size == 256:
        assert patches == 30


def test_instance_norm_normalises_each_image_and_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 5.0, (2, 8, 8, 4)).astype(np.float32)
    plain = InstanceNormalization(affine=False)(x).numpy()
    np.testing.assert_allclose(plain.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(plain.std(axis=(1, 2)), 1, atol=1e-3)
    norm = InstanceNormalization()
    out = norm(x).numpy()
    scale, offset = norm.scale.numpy(), norm.offset.numpy()
    np.testing.assert_allclose(out, plain * scale + offset, atol=1e-5)
    assert np.all(offset == 0) and np.all(np.abs(scale - 1) < 0.1) and np.any(scale != 1)
    assert not InstanceNormalization(affine=False).weights


def test_dropout_only_in_training():
    # 128 px keeps two of the reference's three dropout levels; the innermost sees only zeros
    model = unet_generator(image_size=128, base_filters=8)
    x = tf.random.uniform([1, 128, 128, 3], -1, 1)
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=True))


@pytest.mark.parametrize(
    "make",
    [
        lambda: unet_generator(image_size=32, base_filters=8),
        lambda: resnet_generator(image_size=32, n_blocks=2, base_filters=8),
        lambda: resnet_generator(image_size=32, n_blocks=1, base_filters=8, affine=True),
        lambda: patch_discriminator(32, base_filters=8),
        lambda: unet_generator(image_size=32, base_filters=8, attention=True),
        lambda: resnet_generator(image_size=32, n_blocks=1, base_filters=8, attention=True),
    ],
)
def test_keras_save_and_load_give_identical_outputs(tmp_path, make):
    import keras

    model = make()
    x = tf.random.uniform([2, 32, 32, 3], -1, 1)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model(x, training=False), loaded(x, training=False))


def test_sizes_a_model_cannot_take_say_which_work():
    with pytest.raises(ValueError, match="power of two"):
        unet_generator(image_size=100)
    with pytest.raises(ValueError, match="multiples of 64"):
        unet_generator(image_size=64, base_filters=8)(tf.zeros([1, 96, 96, 3]))
    with pytest.raises(ValueError, match="multiples of 4"):
        resnet_generator(image_size=30)
    with pytest.raises(ValueError, match="multiples of 4"):
        resnet_generator(image_size=32, base_filters=8)(tf.zeros([1, 30, 30, 3]))
    with pytest.raises(ValueError, match="at least 17"):
        patch_discriminator(16)
    with pytest.raises(ValueError, match="at least 17"):
        patch_discriminator(base_filters=8)(tf.zeros([1, 16, 16, 3]))
    # a U-Net built for 64 px is fully convolutional over multiples of 64
    assert unet_generator(image_size=64, base_filters=8)(tf.zeros([1, 128, 64, 3])).shape == (
        1,
        128,
        64,
        3,
    )


def test_build_models_from_a_config():
    models = build_models(PROFILES["tiny"])
    assert set(models) == {"generator_g", "generator_f", "discriminator_x", "discriminator_y"}
    assert models["generator_g"].name == "generator_g"
    x = tf.zeros([1, 32, 32, 3])
    assert models["generator_f"](x).shape == (1, 32, 32, 3)
    assert models["discriminator_y"](x).shape == (1, 2, 2, 1)
    resnet = build_models(PROFILES["tiny"].replace(generator="resnet"))["generator_g"]
    assert resnet.name == "generator_g" and resnet(x).shape == (1, 32, 32, 3)


@pytest.mark.parametrize("transposed, side", [(True, 1), (True, 2), (True, 8), (True, 16),
                                              (False, 2), (False, 4), (False, 16)])  # fmt: skip
def test_small_map_layers_compute_what_keras_layers_compute(transposed, side, monkeypatch):
    # the matrix products are exact at any size; raise the limits to check them at 16 px too
    monkeypatch.setattr(speedups, "SMALL_CONV_INPUT", 16)
    monkeypatch.setattr(speedups, "SMALL_TRANSPOSED_INPUT", 16)
    monkeypatch.setattr(speedups, "SMALL_MAP_CHANNELS", 1)  # and at a few channels
    rng = np.random.default_rng(side)
    stock_cls = layers.Conv2DTranspose if transposed else layers.Conv2D
    fast_cls = speedups.SmallMapConv2DTranspose if transposed else speedups.SmallMapConv2D
    x = tf.constant(rng.normal(size=(3, side, side, 6)), tf.float32)
    fast = fast_cls(5, 4, strides=2, padding="same", use_bias=False)
    stock = stock_cls(5, 4, strides=2, padding="same", use_bias=False)
    fast(x), stock(x)
    stock.kernel.assign(rng.normal(size=stock.kernel.shape))
    fast.kernel.assign(stock.kernel)
    assert speedups.small_map(fast, x)
    results = []
    for layer in (fast, stock):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * tf.sin(y))  # a loss whose gradient differs per pixel
        results.append([y, *tape.gradient(loss, [x, layer.kernel])])
    expected_side = 2 * side if transposed else side // 2
    assert results[0][0].shape == (3, expected_side, expected_side, 5)
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_large_or_odd_maps_take_the_stock_path():
    wide = speedups.SMALL_MAP_CHANNELS
    conv = speedups.SmallMapConv2D(wide, 4, strides=2, padding="same")
    transposed = speedups.SmallMapConv2DTranspose(wide, 4, strides=2, padding="same")
    side = 2 * max(speedups.SMALL_CONV_INPUT, speedups.SMALL_TRANSPOSED_INPUT)
    big = tf.zeros([1, side, side, wide])
    assert not speedups.small_map(conv, big) and not speedups.small_map(transposed, big)
    assert not speedups.small_map(conv, tf.zeros([1, 5, 5, wide]))  # odd: 'same' pads unevenly
    three = speedups.SmallMapConv2D(wide, 3, strides=2, padding="same")
    assert not speedups.small_map(three, big[:, :4, :4])
    assert speedups.small_map(conv, big[:, :4, :4])
    assert speedups.small_map(transposed, tf.zeros([1, 1, 1, wide]))


def test_narrow_layers_take_the_stock_path_on_small_maps(monkeypatch):
    wide = speedups.SMALL_MAP_CHANNELS
    few_in = speedups.SmallMapConv2D(wide, 4, strides=2, padding="same")
    few_out = speedups.SmallMapConv2DTranspose(wide - 1, 4, strides=2, padding="same")
    assert not speedups.small_map(few_in, tf.zeros([1, 4, 4, wide - 1]))
    assert not speedups.small_map(few_out, tf.zeros([1, 2, 2, 2 * wide]))
    # the demo's layers (24 filters: at most 192 out) and the tiny profile's never take it
    model = unet_generator(image_size=32, base_filters=8)
    speedups.use_small_map_layers(model)
    taken = []
    original = speedups.small_map
    monkeypatch.setattr(speedups, "small_map", lambda *a: taken.append(original(*a)) or taken[-1])
    model(tf.zeros([1, 32, 32, 3]))
    assert len(taken) == 10 and not any(taken)  # 5 downs, 4 ups, the last layer


def test_the_models_are_stock_keras_until_the_speedups_swap_layers_in(monkeypatch):
    monkeypatch.setattr(speedups, "SMALL_MAP_CHANNELS", 1)  # the matrix products at 8 filters
    model = unet_generator(image_size=64, base_filters=8)
    convs = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose))
    ]
    assert {type(layer) for layer in convs} == {layers.Conv2D, layers.Conv2DTranspose}
    x = tf.random.uniform([2, 64, 64, 3], -1, 1)
    stock = tf.function(lambda x: model(x, training=False))(x)
    weights = [w.numpy() for w in model.weights]
    # 6 downs, 5 ups and the last layer: all 4x4 stride 2 'same'
    assert speedups.use_small_map_layers(model) == 12
    assert speedups.use_small_map_layers(model) == 0  # already swapped
    assert type(convs[0]) is speedups.SmallMapConv2D
    fast = tf.function(lambda x: model(x, training=False))(x)
    np.testing.assert_allclose(fast, stock, atol=1e-5)
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(weights, model.weights, strict=True))
    speedups.apply({"g": model}, "tutorial")
    assert {type(layer) for layer in convs} == {layers.Conv2D, layers.Conv2DTranspose}
    # the ResNet's 3x3 and 7x7 convolutions are never swapped
    assert speedups.use_small_map_layers(resnet_generator(image_size=32, base_filters=8)) == 0


def test_models_saved_with_the_old_layer_names_still_load(tmp_path):
    import keras

    model = unet_generator(image_size=32, base_filters=8)
    speedups.use_small_map_layers(model)
    path = tmp_path / "fast.keras"
    model.save(path)  # under the names earlier versions registered in models.py
    loaded = keras.models.load_model(path)
    kinds = {type(layer) for layer in loaded._flatten_layers(include_self=False)}
    assert speedups.SmallMapConv2D in kinds and speedups.SmallMapConv2DTranspose in kinds
    x = tf.random.uniform([1, 32, 32, 3], -1, 1)
    np.testing.assert_array_equal(loaded(x, training=False), model(x, training=False))
    assert keras.saving.get_registered_name(speedups.SmallMapConv2D) == "cyclegan_lesson>Conv2D"


def test_small_map_path_under_mixed_bfloat16(monkeypatch):
    monkeypatch.setattr(speedups, "SMALL_MAP_CHANNELS", 1)
    with speedups.dtype_policy("mixed_bfloat16"):
        model = unet_generator(image_size=32, base_filters=8)
    speedups.use_small_map_layers(model)
    y = model(tf.random.uniform([1, 32, 32, 3], -1, 1))
    assert y.shape == (1, 32, 32, 3) and np.all(np.isfinite(y))


def test_attention_composite_by_hand():
    layer = models.AttentionComposite()
    image = np.full((1, 2, 2, 3), -1.0, np.float32)
    # content logits atanh(0.5) -> 0.5; mask logits -> sigmoid: 1, 0, 0.25, 0.75 (about)
    logits = np.array([30.0, -30.0, -np.log(3.0), np.log(3.0)], np.float32).reshape(1, 2, 2, 1)
    head = np.concatenate([np.full((1, 2, 2, 3), np.arctanh(0.5), np.float32), logits], -1)
    output, mask = (np.asarray(t) for t in layer(image, head))
    np.testing.assert_allclose(mask[0, :, :, 0], [[1.0, 0.0], [0.25, 0.75]], atol=1e-6)
    # mask * 0.5 + (1 - mask) * -1
    np.testing.assert_allclose(output[0, :, :, 1], [[0.5, -1.0], [-0.625, 0.125]], atol=1e-6)


def test_attention_generators_add_one_mask_channel():
    # the last layer's one extra output channel: a 4x4 kernel over 2f inputs, and its bias
    assert count_params(unet_generator(3, "instancenorm", attention=True)) == (
        54_414_979 + 4 * 4 * 128 + 1
    )
    assert count_params(resnet_generator(3, 256, attention=True)) == 11_378_179 + 7 * 7 * 64 + 1
    with pytest.raises(ValueError, match="output_channels must be 3"):
        unet_generator(1, attention=True)


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_a_closed_mask_passes_the_input_through(generator):
    config = PROFILES["tiny"].replace(generator=generator, attention=True, resnet_blocks=1)
    g = build_models(config)["generator_g"]
    (head,) = [layer for layer in g.layers if getattr(layer, "filters", 0) == 4]
    kernel, bias = head.get_weights()
    # the mask's output channel: (h, w, out, in) for a transposed conv, (h, w, in, out) else
    kernel[(..., 3, slice(None)) if isinstance(head, layers.Conv2DTranspose) else (..., 3)] = 0.0
    bias[3] = -40.0  # the mask: sigmoid(-40), about 4e-18
    head.set_weights([kernel, bias])
    x = tf.random.uniform([2, 32, 32, 3], -1, 1, seed=1)
    np.testing.assert_allclose(g(x), x, atol=1e-6)
    output, mask = models.attention_view(g)(x)
    np.testing.assert_array_equal(output, g(x))
    assert mask.shape == (2, 32, 32, 1) and float(np.max(mask)) < 1e-12
    assert models.attention_view(build_models(PROFILES["tiny"])["generator_g"]) is None
