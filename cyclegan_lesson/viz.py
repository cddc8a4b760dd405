"""Pictures and widgets for the notebooks. The drawing functions are pure (arrays in, a
matplotlib Figure out) so they are tested; the widgets only wire sliders to them.

Nothing here needs ipympl: widgets redraw a static figure into an ``Output``, which works in
JupyterLab and on Colab alike.
"""

from __future__ import annotations

import numpy as np


def to_display(image, contrast: float = 1.0) -> np.ndarray:
    """A [-1, 1] image -> [0, 1] for ``imshow``: ``image * 0.5 * contrast + 0.5``, clipped.

    ``contrast`` > 1 stretches values around grey, which makes an untrained generator's
    near-zero output visible (the seed uses 8). Accepts (H, W, 3) or (1, H, W, 3).
    """
    image = np.asarray(image, np.float32)
    if image.ndim == 4:
        image = image[0]
    return np.clip(image * 0.5 * contrast + 0.5, 0.0, 1.0)


def _figure(rows: int, cols: int, size: float = 3.0):
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) so that nothing is shown twice or kept in global state.
    fig = Figure(figsize=(cols * size, rows * size), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def image_grid(rows, titles=None, size: float = 2.5, contrast=None):
    """A grid of [-1, 1] images: ``rows`` is a list of rows, each a list of (H, W, 3) images.

    ``titles`` labels the first row's columns; ``contrast`` gives one factor per column
    (default 1). Returns a matplotlib Figure.
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = _figure(n_rows, n_cols, size)
    contrast = contrast or [1.0] * n_cols
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            axes[i, j].imshow(to_display(image, contrast[j]))
            if i == 0 and titles:
                axes[i, j].set_title(titles[j])
    return fig


def preview_figure(sample_a, fake_b, sample_b, fake_a, contrast: float = 8.0):
    """The seed's look at untrained generators: horse, G(horse), zebra, F(zebra) in a 2x2
    grid, the generated images multiplied by ``contrast``. Inputs are [-1, 1] images."""
    return image_grid(
        [[sample_a, fake_b], [sample_b, fake_a]],
        titles=["Input", "Generated" + (f" (contrast x{contrast:g})" if contrast != 1 else "")],
        contrast=[1.0, contrast],
        size=3.0,
    )


def patch_map_figure(real_b_logits, real_a_logits):
    """What each discriminator says about each patch: ``D_Y(zebra)`` and ``D_X(horse)`` logit
    maps of shape (h, w, 1) or (1, h, w, 1), drawn with RdBu_r (red = "real")."""
    fig, axes = _figure(1, 2, 3.5)
    for ax, logits, title in (
        (axes[0, 0], real_b_logits, "Is a real zebra? (D_Y)"),
        (axes[0, 1], real_a_logits, "Is a real horse? (D_X)"),
    ):
        logits = np.asarray(logits, np.float32)
        logits = logits.reshape(logits.shape[-3:-1])
        im = ax.imshow(logits, cmap="RdBu_r")
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def contrast_slider(sample_a, fake_b, sample_b, fake_a, value=8, minimum=1, maximum=16):
    """An ipywidgets slider over :func:`preview_figure`. The generators' outputs are computed
    once by the caller; moving the slider only redraws. Returns the widget (display it)."""
    import ipywidgets as widgets

    slider = widgets.IntSlider(
        value=value,
        min=minimum,
        max=maximum,
        description="contrast",
        continuous_update=False,
    )
    # look the function up at call time, so the drawing can be swapped out in tests
    return _redrawing(slider, lambda c: preview_figure(sample_a, fake_b, sample_b, fake_a, c))


def _redrawing(slider, draw):
    """A slider above an Output that shows ``draw(slider.value)`` and redraws on change."""
    import ipywidgets as widgets
    from IPython.display import display

    output = widgets.Output()

    def redraw(change=None):
        output.clear_output(wait=True)
        with output:
            display(draw(slider.value))

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, output])


def generator_preview(generator_g, generator_f, sample_a, sample_b, contrast: float = 8.0):
    """Run G on ``sample_a`` and F on ``sample_b`` (batches of one, [-1, 1]) and draw
    :func:`preview_figure`. Returns the Figure."""
    fake_b = np.asarray(generator_g(sample_a, training=False))
    fake_a = np.asarray(generator_f(sample_b, training=False))
    return preview_figure(sample_a, fake_b, sample_b, fake_a, contrast)


def translation_grid(generator_g, generator_f, domains, rows: int = 4):
    """Input | translation | reconstruction for the first ``rows`` test images of each
    domain: x -> G(x) -> F(G(x)) on the left, y -> F(y) -> G(F(y)) on the right. Returns the
    Figure."""
    a = np.concatenate([x.numpy() for x in domains.test_a.unbatch().batch(rows).take(1)])
    b = np.concatenate([x.numpy() for x in domains.test_b.unbatch().batch(rows).take(1)])
    fake_b = np.asarray(generator_g(a, training=False))
    fake_a = np.asarray(generator_f(b, training=False))
    cycled_a = np.asarray(generator_f(fake_b, training=False))
    cycled_b = np.asarray(generator_g(fake_a, training=False))
    grid = [[a[i], fake_b[i], cycled_a[i], b[i], fake_a[i], cycled_b[i]] for i in range(len(a))]
    return image_grid(
        grid,
        titles=["x (a horse)", "G(x)", "F(G(x))", "y (a zebra)", "F(y)", "G(F(y))"],
        size=1.8,
    )


def preview_strip(folder, size: float = 2.2):
    """The per-epoch previews a run saved (``previews/epoch_NNN.png`` in ``folder``) side by
    side in one row, oldest first. Returns the Figure."""
    from pathlib import Path

    from matplotlib.figure import Figure
    from matplotlib.image import imread

    paths = sorted(Path(folder).glob("epoch_*.png"))
    if not paths:
        raise FileNotFoundError(f"no previews (epoch_NNN.png) in {folder}: train first")
    fig = Figure(figsize=(size * len(paths), size * 1.1), layout="constrained")
    axes = fig.subplots(1, len(paths), squeeze=False)[0]
    for ax, path in zip(axes, paths, strict=True):
        ax.imshow(imread(path))
        ax.axis("off")
    return fig


LOSS_GROUPS = {
    "adversarial (generators)": ("gen_g", "gen_f"),
    "discriminators": ("disc_x", "disc_y"),
    "cycle (both directions)": ("cycle",),
    "identity": ("identity_g", "identity_f"),
    "change price": ("change_g", "change_f"),
    "attention masks' price": ("mask_g", "mask_f", "mask_cycle"),
}


def loss_curves(rows):
    """Per-epoch losses from a training history (``History.rows`` or the rows of
    ``history.csv``): one panel per kind of loss the run has (the masks' only with
    attention). Returns the Figure."""
    from matplotlib.figure import Figure

    groups = {
        title: keys
        for title, keys in LOSS_GROUPS.items()
        if all(k in rows[0] for k in keys) and any(r[k] for r in rows for k in keys)
    }
    fig = Figure(figsize=(3 * len(groups), 2.8), layout="constrained")
    axes = fig.subplots(1, len(groups))
    epochs = [r["epoch"] for r in rows]
    for ax, (title, keys) in zip(axes, groups.items(), strict=True):
        for key in keys:
            ax.plot(epochs, [r[key] for r in rows], marker="o", label=key)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.legend(fontsize="small")
    return fig


def attention_figure(generator, images, size: float = 2.2):
    """What an attention-guided generator changes: each [-1, 1] image of ``images`` (N, H, W,
    3), its mask (white: the generator paints its own content; black: the input passes
    through) and the output. Returns the Figure."""
    from .models import attention_view

    view = attention_view(generator)
    if view is None:
        raise ValueError(
            f"{generator.name} has no attention mask: build it with Config.attention on "
            "(--attention)."
        )
    images = np.asarray(images, np.float32)
    output, mask = (np.asarray(t) for t in view(images, training=False))
    rows = [
        [x, np.repeat(2 * m - 1, 3, -1), y] for x, m, y in zip(images, mask, output, strict=True)
    ]
    return image_grid(rows, titles=["input", "mask", "output"], size=size)


def blend(a, b, t: float) -> np.ndarray:
    """(1 - t) * a + t * b for two [-1, 1] images, shown in [0, 1]."""
    return to_display((1.0 - t) * np.asarray(a, np.float32) + t * np.asarray(b, np.float32))


def blend_slider(inputs, outputs, value: float = 1.0):
    """A slider that fades each input image into its translation (0 = input, 1 = output).
    ``inputs``/``outputs``: lists of [-1, 1] images. Returns the widget (display it)."""
    import ipywidgets as widgets

    slider = widgets.FloatSlider(
        value=value, min=0.0, max=1.0, step=0.1, description="blend", continuous_update=False
    )

    def draw(t):
        fig, axes = _figure(1, len(inputs), 2.5)
        for ax, a, b in zip(axes[0], inputs, outputs, strict=True):
            ax.imshow(blend(a, b, t))
        return fig

    return _redrawing(slider, draw)


def labelled_rows(rows, size: float = 1.3):
    """Rows of images with a label at the left of each: ``rows`` is a list of ``(label,
    images)``, each ``images`` (K, H, W, 3) uint8 or [-1, 1] floats (a row may be shorter).
    Returns the Figure."""
    n_cols = max(len(images) for _, images in rows)
    fig, axes = _figure(len(rows), n_cols, size)
    for i, (label, images) in enumerate(rows):
        for j, image in enumerate(images):
            image = np.asarray(image)
            axes[i, j].imshow(image if image.dtype == np.uint8 else to_display(image))
        axes[i, 0].text(-0.08, 0.5, label, transform=axes[i, 0].transAxes, ha="right", va="center")
    return fig
