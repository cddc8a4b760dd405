import numpy as np
import pytest

from cyclegan_lesson import viz
from cyclegan_lesson.models import patch_discriminator, unet_generator


def test_to_display_scales_and_clips():
    image = np.array([[[-1.0, 0.0, 1.0]]], np.float32)
    np.testing.assert_allclose(viz.to_display(image), [[[0.0, 0.5, 1.0]]])
    small = np.array([[[0.05, -0.05, 0.5]]], np.float32)
    np.testing.assert_allclose(viz.to_display(small[None], contrast=8), [[[0.7, 0.3, 1.0]]])


def _images(fig):
    return [ax.get_images()[0] for ax in fig.axes if ax.get_images()]


def test_preview_figure_applies_contrast_to_generated_images_only():
    rng = np.random.default_rng(0)
    a, fb, b, fa = (
        rng.uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32) * s for s in (1, 0.05, 1, 0.05)
    )
    fig = viz.preview_figure(a, fb, b, fa, contrast=8)
    shown = [np.asarray(im.get_array()) for im in _images(fig)]
    assert len(shown) == 4
    np.testing.assert_allclose(shown[0], viz.to_display(a))
    np.testing.assert_allclose(shown[1], viz.to_display(fb, 8))
    np.testing.assert_allclose(shown[3], viz.to_display(fa, 8))
    assert "x8" in fig.axes[1].get_title()


def test_generator_preview_runs_the_models():
    g = unet_generator(image_size=32, base_filters=4)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    fig = viz.generator_preview(g, g, x, x, contrast=4)
    np.testing.assert_allclose(
        np.asarray(_images(fig)[1].get_array()), viz.to_display(g(x), 4), atol=1e-6
    )


def test_patch_map_uses_rdbu_and_keeps_the_map_shape():
    d = patch_discriminator(base_filters=4)
    x = np.zeros((1, 64, 64, 3), np.float32)
    fig = viz.patch_map_figure(d(x), d(x)[0])
    images = _images(fig)
    assert [im.get_cmap().name for im in images] == ["RdBu_r", "RdBu_r"]
    assert images[0].get_array().shape == (6, 6)


def test_contrast_slider_redraws_with_the_new_value(monkeypatch):
    pytest.importorskip("ipywidgets")
    seen = []
    monkeypatch.setattr(viz, "preview_figure", lambda *args: seen.append(args[-1]) or "fig")
    zeros = np.zeros((1, 8, 8, 3), np.float32)
    box = viz.contrast_slider(zeros, zeros, zeros, zeros)
    slider = box.children[0]
    assert (slider.min, slider.max, slider.value, slider.continuous_update) == (1, 16, 8, False)
    slider.value = 3
    assert seen == [8, 3]


def test_attention_figure_shows_input_mask_and_output():
    from cyclegan_lesson.models import attention_view

    g = unet_generator(image_size=32, base_filters=4, attention=True)
    x = np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    shown = [np.asarray(im.get_array()) for im in _images(viz.attention_figure(g, x))]
    assert len(shown) == 6  # two rows of three
    output, mask = (np.asarray(t) for t in attention_view(g)(x))
    np.testing.assert_allclose(shown[3], viz.to_display(x[1]))
    np.testing.assert_allclose(shown[4], np.repeat(mask[1], 3, -1), atol=1e-6)  # 0..1 grey
    np.testing.assert_allclose(shown[5], viz.to_display(output[1]), atol=1e-6)
    with pytest.raises(ValueError, match="--attention"):
        viz.attention_figure(unet_generator(image_size=32, base_filters=4), x)


def test_loss_curves_show_the_masks_only_when_they_cost_something():
    row = {k: 0.5 for k in ("gen_g", "gen_f", "disc_x", "disc_y", "cycle")}
    row.update(identity_g=0.2, identity_f=0.2, epoch=1)
    old = [row]  # a run from before the masks' columns
    plain = [{**row, "mask_g": 0.0, "mask_f": 0.0, "mask_cycle": 0.0}]
    attention = [{**row, "mask_g": 0.3, "mask_f": 0.3, "mask_cycle": 0.2}]
    assert len(viz.loss_curves(old).axes) == len(viz.loss_curves(plain).axes) == 4
    fig = viz.loss_curves(attention)
    assert len(fig.axes) == 5 and "mask" in fig.axes[-1].get_title()


def test_preview_strip_puts_the_epochs_in_one_row_oldest_first(tmp_path):
    from matplotlib.image import imsave

    for epoch, value in ((2, 0.5), (1, 0.0), (10, 1.0)):
        imsave(tmp_path / f"epoch_{epoch:03d}.png", np.full((4, 6, 3), value))
    fig = viz.preview_strip(tmp_path)
    shown = [np.asarray(im.get_array())[0, 0, 0] for im in _images(fig)]
    np.testing.assert_allclose(shown, [0.0, 0.5, 1.0], atol=1 / 255)
    with pytest.raises(FileNotFoundError, match="train first"):
        viz.preview_strip(tmp_path / "empty")
