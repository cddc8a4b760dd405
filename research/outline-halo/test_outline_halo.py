"""The outline-halo scripts whose numbers quality-bar.md reports. Not in the default test run
(pytest's testpaths are tests/): run them with ``python -m pytest research/outline-halo``.
tests/test_research.py keeps one quick check of them in the default run."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_silhouette_gain_bins_by_hand():
    gain = _load("silhouette_gain")
    # A 4x4 square (rows and columns 4-7) on black. The output loses row 7 and gains a rim
    # on column 8 (1 px away, 3 px), two pixels on row 2 (2 px away), one at (9, 10) (3 px
    # away), one at (5, 11) (4 px away) and a stray mark at row 14.
    empty = np.zeros((1, 16, 16, 3), np.uint8)
    before = empty.copy()
    before[0, 4:8, 4:8] = 200
    after = empty.copy()
    after[0, 4:7, 4:9] = 200
    after[0, 2, 4:6] = 200
    after[0, 9, 10] = 200
    after[0, 5, 11] = 200
    after[0, 14, 0:2] = 200
    shares, near_iou = gain.gained_by_distance(before, after, empty)
    np.testing.assert_allclose(shares, np.array([3, 2, 1, 3]) / 16)
    # without the pixels beyond 2 px: 12 shared of 16 + 3 + 2
    assert near_iou == pytest.approx(12 / 21)


def test_supervised_outline_trains_on_train_scenes_rendered_both_ways():
    from cyclegan_lesson import models, toy

    sup = _load("supervised_outline")
    a, b = sup.train_pairs(32, 0, 4)
    # trainA's scenes (never the paired test scenes) plain, and the same scenes striped
    np.testing.assert_array_equal(a, toy.make_split("trainA", 32, 0, 4))
    for i in range(4):
        scene = toy.sample_scene(toy._rng(0, "trainA", i))
        striped, mask = toy.render(scene, "striped", 32)
        np.testing.assert_array_equal(b[i], striped)
        assert np.abs(a[i][mask].astype(int) - b[i][mask]).mean() > 20

    generator = models.unet_generator(3, "instancenorm", 32, 8, dropout_layers=0)
    losses = sup.train_supervised(generator, a, b, 40, 2, 2e-3, 0.5, decay_steps=10)
    assert len(losses) == 40
    assert np.mean(losses[-5:]) < 0.5 * losses[0]


def test_hidden_colour_scores_by_hand():
    hidden = _load("hidden_colour")
    rng = np.random.default_rng(0)
    colours = rng.uniform(50, 200, (20, 3))
    # a linear image of the colours is fully explained, a constant one not at all
    assert hidden.explained(0.5 * colours + 7, colours) == pytest.approx(1.0)
    assert hidden.explained(np.ones_like(colours), colours) == pytest.approx(0.0)
    noisy = colours + rng.normal(0, 30, colours.shape)
    assert 0.1 < hidden.explained(noisy, colours) < 0.9
    # a 6x6 square: interior keeps the 2x2 centre, the band is 2 px either side of the edge
    mask = np.zeros((1, 12, 12), bool)
    mask[0, 3:9, 3:9] = True
    assert hidden.interior(mask)[0].sum() == 4 and hidden.interior(mask)[0, 5:7, 5:7].all()
    band = hidden.edge_band(mask)[0]
    assert band.sum() == 10 * 10 - 2 * 2 and not band[5, 5] and band[1, 1] and not band[0, 0]
    # mean colours inside a region
    images = np.zeros((1, 12, 12, 3), np.uint8)
    images[0, 5:7, 5:7] = (10, 20, 30)
    np.testing.assert_allclose(hidden.mean_colours(images, hidden.interior(mask)), [[10, 20, 30]])


def test_drawn_mask_iou_at_each_threshold_by_hand():
    gain = _load("silhouette_gain")
    empty = np.zeros((1, 8, 8, 3), np.uint8)
    mask = np.zeros((1, 8, 8), bool)
    mask[0, 2:6, 2:6] = True  # 16 px
    out = empty.copy()
    out[0, 2:6, 2:6] = 255  # the animal, clearly
    out[0, 2:6, 6] = 60  # a faint rim of 4 px: 0.235 above the background
    ious = gain.drawn_mask_ious(out, mask, empty, thresholds=(0.15, 0.3))
    assert ious == pytest.approx([16 / 20, 1.0])


def test_path_scores_of_identity_generators_are_perfect():
    from cyclegan_lesson import toy
    from cyclegan_lesson.inference import translate

    gain = _load("silhouette_gain")
    a, b, masks, empty = toy.make_paired(32, 0, 3, background=True)
    identity = lambda images, training=False: images  # noqa: E731
    scores = gain.path_scores(a, identity, identity, a, b, masks, empty)
    assert len(scores) == 4
    for iou, halo in scores.values():
        assert (iou, halo) == (pytest.approx(1.0), 0.0)
    # a generator that paints everything white loses the silhouettes
    white = lambda images, training=False: images * 0 + 1  # noqa: E731
    whitened = translate(white, a)
    for iou, _ in gain.path_scores(whitened, white, identity, a, b, masks, empty).values():
        assert iou < 0.5


def test_tint_gives_the_animal_a_hue_at_its_own_brightness():
    hidden = _load("hidden_colour")
    images = np.full((1, 4, 4, 3), 100, np.uint8)
    images[0, 0, 0] = (200, 200, 200)
    mask = np.zeros((1, 4, 4), bool)
    mask[0, :2, :2] = True
    colour = np.array([[150.0, 100.0, 50.0]])  # mean 100: hue factors 1.5, 1, 0.5
    np.testing.assert_array_equal(hidden.tint(images, mask, colour, 0.0), images)
    out = hidden.tint(images, mask, colour, 1.0)
    np.testing.assert_array_equal(out[0, 0, 0], [255, 200, 100])  # 300 clipped to 255
    np.testing.assert_array_equal(out[0, 0, 1], [150, 100, 50])
    np.testing.assert_array_equal(out[0, 2:], images[0, 2:])  # outside the mask: untouched
    half = hidden.tint(images, mask, colour, 0.5)
    np.testing.assert_array_equal(half[0, 1, 1], [125, 100, 75])


def test_rim_colours_by_hand():
    gain = _load("silhouette_gain")
    empty = np.full((1, 8, 8, 3), 120, np.uint8)  # mid-grey grass
    before = empty.copy()
    before[0, 2:6, 2:6] = 230
    after = before.copy()
    after[0, 2:6, 6] = 10  # a dark rim of 4 px, 1 px outside
    after[0, 6, 2:4] = 250  # a light one of 2 px
    after[0, 0, 0] = 10  # far away: not the rim
    np.testing.assert_allclose(gain.rim_colours(before, after, empty), [4 / 6, 0, 2 / 6])


def test_residual_unet_is_its_clipped_input_when_the_correction_is_zero():
    from cyclegan_lesson.config import get_config

    exp = _load("experiment")
    config = get_config("tiny", {"base_filters": "4"}, env={})
    generator = exp.residual_unet(config, "g")
    last = [layer for layer in generator.layers if layer.name.startswith("conv2d_transpose")][-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    x[0, 0, 0] = [1.0, -1.0, 0.0]
    out = np.asarray(generator(x))
    np.testing.assert_allclose(out, np.clip(x, -0.99, 0.99), atol=1e-5)


def test_local_critic_adds_block_means_of_a_half_resolution_map():
    import keras

    from cyclegan_lesson import models

    exp = _load("experiment")
    patch = models.patch_discriminator(128, 4, name="d")
    critic = exp.with_local_critic(patch, 4, "critic")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 128, 128, 3)).astype(np.float32)
    out = np.asarray(critic(x))
    assert out.shape == (2, 14 * 14 + 16 * 16)
    np.testing.assert_allclose(out[:, :196], np.asarray(patch(x)).reshape(2, -1), atol=1e-6)
    pool = next(la for la in critic.layers if isinstance(la, keras.layers.AveragePooling2D))
    fine = np.asarray(keras.Model(critic.input, pool.input)(x))
    assert fine.shape == (2, 64, 64, 1)
    blocks = fine.reshape(2, 16, 4, 16, 4).mean(axis=(2, 4)).reshape(2, -1)
    np.testing.assert_allclose(out[:, 196:], blocks, atol=1e-6)


def test_one_coat_changes_only_the_horses_colour(monkeypatch):
    from cyclegan_lesson import toy

    experiment = _load("experiment")
    monkeypatch.setattr(toy, "sample_scene", toy.sample_scene)  # undone after the test
    before = toy.sample_scene(np.random.default_rng(7))
    a_before = toy.make_split("trainA", 32, count=3)
    b_before = toy.make_split("trainB", 32, count=3)
    experiment.one_coat()
    after = toy.sample_scene(np.random.default_rng(7))
    np.testing.assert_array_equal(after["body"], experiment.ONE_COAT)
    assert not np.allclose(before["body"], experiment.ONE_COAT)
    for key in before.keys() - {"body"}:
        np.testing.assert_array_equal(after[key], before[key])
    # zebras do not wear the body colour: their images keep every byte
    np.testing.assert_array_equal(toy.make_split("trainB", 32, count=3), b_before)
    a_after = toy.make_split("trainA", 32, count=3)
    assert not np.array_equal(a_after, a_before)
    # every horse now has one coat: the animals' mean colours agree across scenes
    _, _, masks = toy.make_paired(32, count=3, split="trainA")
    coats = [a_after[i][masks[i]].mean(axis=0) for i in range(3)]
    assert np.ptp(coats, axis=0).max() < 25  # shade and noise only (uint8 units)


def test_outline_offset_moves_only_the_outline():
    from cyclegan_lesson import evaluation, toy

    judge = _load("outline_judge")
    sdf = toy.animal_sdf
    a0, b0, m0 = toy.make_paired(64, count=3)
    a1, b1, m1 = judge.paired_with_offset(1, 64, 0, count=3)
    assert toy.animal_sdf is sdf  # put back after the block
    np.testing.assert_array_equal(judge.paired_with_offset(0, 64, 0, count=3)[1], b0)
    # a pixel fatter all round: the old animal plus a ring that touches it (the ellipses'
    # ends move further, since toy's ellipse distance is scaled by the short axis)
    assert (m1 >= m0).all()
    ring = m1 & ~m0
    assert ring.sum() > 0.1 * m0.sum()
    beyond = [ring & ~np.array([evaluation._grow(m, k) for m in m0]) for k in (1, 3)]
    assert beyond[0].sum() < 0.1 * ring.sum() and beyond[1].sum() == 0
    # far from the animal nothing changes
    far = ~np.array([evaluation._grow(m, 3) for m in m1])
    np.testing.assert_array_equal(b1[far], b0[far])
    thinner = judge.paired_with_offset(-1, 64, 0, count=3)[2]
    assert (thinner <= m0).all() and thinner.sum() < m0.sum()
    with pytest.raises(RuntimeError), judge.outline_offset(2, 64):
        raise RuntimeError
    assert toy.animal_sdf is sdf


def test_discriminator_mean_output_by_hand():
    import keras

    judge = _load("hidden_colour")
    inputs = keras.Input(shape=(None, None, 3))
    mean_of_channels = keras.Model(inputs, keras.ops.mean(inputs, axis=-1, keepdims=True))
    images = np.zeros((2, 8, 8, 3), np.uint8)
    images[1] = 255  # -> -1 and +1 in [-1, 1]
    images[0, :4] = 255  # half of the first image at +1: mean 0
    assert judge.mean_output(mean_of_channels, images) == pytest.approx(0.5, abs=1e-6)


def test_perfect_scores_with_the_outline_moved():
    from cyclegan_lesson import evaluation, toy

    judge = _load("outline_judge")
    scores = judge.perfect_scores(64, 0, [0, 1], count=3)
    a, b, masks, empty = toy.make_paired(64, count=3, background=True)
    assert scores[0] == evaluation.paired_metrics(a, b, masks, empty, "striped")
    # a pixel fatter: nothing lost, more gained, a lower IoU
    assert scores[1]["silhouette_lost"] == 0.0
    assert scores[1]["silhouette_added"] > scores[0]["silhouette_added"] + 0.1
    assert scores[1]["silhouette_iou"] < scores[0]["silhouette_iou"] - 0.05


def test_ema_and_discriminator_rate_hook_into_the_training_loop(tmp_path):
    import keras

    from cyclegan_lesson import models, training
    from cyclegan_lesson.config import get_config

    exp = _load("experiment")
    config = get_config("tiny", {"output_dir": str(tmp_path), "decay_epochs": "1"}, env={})
    keras.utils.set_random_seed(config.seed)
    built = models.build_models(config)
    generators = [built["generator_g"], built["generator_f"]]
    before = [w.numpy() for w in generators[0].weights]
    average = exp.WeightAverage(generators, 0.999)
    callbacks = exp.training_callbacks(average, 0.5)
    assert callbacks[0] is average and len(callbacks) == 2
    assert exp.training_callbacks(None, 1.0) == []
    result = training.train(config, models=built, progress=False, callbacks=callbacks)
    gan = result.model
    # the average took one update per step, after the step (the warm-up's first decay is
    # 2/11, so the shadows moved off the initial weights, and off the live ones)
    assert int(average.updates.numpy()) == int(gan.step) == config.steps_per_epoch
    shadows = [s.numpy() for s in average.shadows[: len(before)]]
    live = [w.numpy() for w in generators[0].weights]
    assert any(not np.allclose(s, b) for s, b in zip(shadows, before, strict=True))
    assert any(not np.allclose(s, w) for s, w in zip(shadows, live, strict=True))
    # the discriminators learnt at half the generators' rate (the one epoch decays: 1/2)
    lr = float(gan.optimizers["generator_g"].learning_rate)
    assert lr == pytest.approx(config.learning_rate / 2)
    for name in ("discriminator_x", "discriminator_y"):
        assert float(gan.optimizers[name].learning_rate) == pytest.approx(lr / 2)
    average.swap()
    np.testing.assert_array_equal(generators[0].weights[0].numpy(), shadows[0])
