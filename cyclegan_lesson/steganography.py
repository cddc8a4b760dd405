"""Where does the horse's colour go? CycleGAN's hidden code (Chu, Zhmoginov, Sandler 2017,
"CycleGAN, a Master of Steganography").

A zebra's coat is black and white, so G (horses -> zebras) has no open place for the horse's
colour. Yet the cycle loss asks F(G(x)) to give the horse back, brown or tan. So a generator
that scores well on the cycle loss writes the colour into its zebra somewhere: in a signal
too faint to see (what Chu et al. found on aerial photos -> maps), or in something a zebra
may vary without looking wrong. On the toy dataset this can be measured:

* :func:`colour_twins` draws each scene's horse twice, brown and tan, all else equal, and
  :func:`amplify` makes the difference of G's two zebras visible;
* :func:`colour_recovery` asks how much of the horses' colour can be told from the round
  trip F(G(x)), from F on the real zebra of the same scene (which holds no colour), and from
  G's zebra itself: its mean colour, and its stripes' balance of white to black;
* :func:`greying_test` takes every tint out of G's zebras before F, and
  :func:`noise_test` adds faint noise to them: does F still find the colour?
"""

from __future__ import annotations

import numpy as np

from . import evaluation, toy
from .data import normalize

BROWN, TAN = 0.1, 0.9  # the coat's place between the toy's brown (0) and tan (1)


def colour_twins(size: int = 64, seed: int = 0, count: int = 8):
    """Paired toy scenes whose horse is drawn twice: brown and tan, everything else equal.

    Returns ``(brown, tan, masks)``: (count, size, size, 3) uint8 horses of each colour and
    (count, size, size) bool masks of the animal (the same for both).
    """
    brown = np.empty((count, size, size, 3), np.uint8)
    tan = np.empty_like(brown)
    masks = np.empty((count, size, size), bool)
    for i in range(count):
        scene = toy.sample_scene(np.random.default_rng([seed, 7, i]))
        jitter = np.random.default_rng([seed, 8, i]).uniform(-0.04, 0.04, 3)
        brown[i], masks[i] = toy.render(
            {**scene, "body": toy.body_colour(BROWN, jitter)}, "plain", size
        )
        tan[i] = toy.render({**scene, "body": toy.body_colour(TAN, jitter)}, "plain", size)[0]
    return brown, tan, masks


def _abs_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| of uint8 images, in [0, 1] units (as floats: uint8 subtraction wraps)."""
    return np.abs(a.astype(np.float32) - b.astype(np.float32)) / 255.0


def amplify(a: np.ndarray, b: np.ndarray, gain: float = 10.0) -> np.ndarray:
    """How two uint8 images of one shape differ, made visible: ``|a - b| * gain`` in [0, 1]
    units, clipped (a float array of their shape; 0 = black, where they agree)."""
    return np.clip(_abs_difference(a, b) * gain, 0.0, 1.0)


def difference(a: np.ndarray, b: np.ndarray, regions: np.ndarray | None = None) -> float:
    """Mean |a - b| of uint8 images in [0, 1] units (only inside ``regions``, (N, H, W) bool,
    when given)."""
    diff = _abs_difference(a, b)
    return float(diff[regions].mean() if regions is not None else diff.mean())


def mean_colours(images: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 images and (N, H, W) bool regions -> (N, 3) mean colours in
    [0, 255] inside each region."""
    return np.array([im[r].mean(axis=0) for im, r in zip(images, regions, strict=True)])


def explained(predictors: np.ndarray, targets: np.ndarray) -> float:
    """R² of a per-channel linear fit (with intercept) of ``targets`` on ``predictors``, both
    (N, C), averaged over the channels: 1 = the predictors give the targets exactly, 0 = no
    better than one value for all."""
    scores = []
    for k in range(targets.shape[1]):
        design = np.c_[predictors[:, k], np.ones(len(predictors))]
        coef, *_ = np.linalg.lstsq(design, targets[:, k], rcond=None)
        residual = targets[:, k] - design @ coef
        spread = targets[:, k] - targets[:, k].mean()
        scores.append(1.0 - (residual @ residual) / max(float(spread @ spread), 1e-12))
    return float(np.mean(scores))


def interior(masks: np.ndarray, margin: int = 2) -> np.ndarray:
    """The animal without the ``margin`` px next to its outline, (N, H, W) bool: the coat's
    colour, away from the anti-aliased edge."""
    return np.array([m & ~evaluation._grow(~m, margin) for m in masks])


def white_share(images: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 images and (N, H, W) bool regions -> (N,) share of each region's
    pixels brighter than mid-grey: a zebra coat's balance of white to black stripes."""
    grey = images.astype(np.float32).mean(axis=-1) / 255.0
    return np.array([float((g[r] > 0.5).mean()) for g, r in zip(grey, regions, strict=True)])


def greyed(images: np.ndarray) -> np.ndarray:
    """uint8 images with every pixel's colour replaced by its grey level (the mean of its
    channels): what is left of a zebra once any tint is taken away."""
    grey = images.astype(np.float32).mean(axis=-1, keepdims=True)
    return np.repeat(np.round(grey), 3, axis=-1).astype(np.uint8)


def _scenes(size: int, seed: int, count: int):
    horses, zebras, masks = toy.make_paired(size, seed, count=count)
    coat = interior(masks)
    # at small sizes a thin animal can be all outline: leave those scenes out
    keep = coat.sum(axis=(1, 2)) >= 4
    return horses[keep], zebras[keep], masks[keep], coat[keep]


def colour_recovery(generator_g, generator_f, size: int, seed: int = 0, count: int = 100):
    """Where the horses' coat colour goes, on ``count`` paired toy scenes of ``size`` px
    (those whose animal has at least 4 px away from its outline).

    Returns a dict of R² (see :func:`explained`): how much of the horse's mean coat colour
    can be told from ``F(G(x))``, the round trip; from ``F(y)``, F on the real zebra of the
    same scene (a guess: the zebra holds no colour); from G(x)'s mean coat colour; and from
    G(x)'s stripe balance alone (:func:`white_share`), one number a zebra.
    """
    from .inference import translate

    horses, zebras, _, coat = _scenes(size, seed, count)
    truth = mean_colours(horses, coat)
    fake_zebras = translate(generator_g, horses)
    round_trip = translate(generator_f, fake_zebras)
    balance = np.repeat(white_share(fake_zebras, coat)[:, None], 3, axis=1)
    return {
        "round trip F(G(x))": explained(mean_colours(round_trip, coat), truth),
        "guess F(y)": explained(mean_colours(translate(generator_f, zebras), coat), truth),
        "G(x)'s mean colour": explained(mean_colours(fake_zebras, coat), truth),
        "G(x)'s stripe balance": explained(balance, truth),
    }


def greying_test(generator_g, generator_f, size: int, seed: int = 0, count: int = 100):
    """Take every tint out of G's zebras (:func:`greyed`) before F: how much does the zebra
    change, and how much of the horse's colour does F still bring back?

    Returns ``zebra_change``: mean |G(x) - grey G(x)| on the animal, in [0, 1] units; and
    the R² of the horse's colour from ``F(G(x))`` and from ``F(grey G(x))``.
    """
    from .inference import translate

    horses, _, masks, coat = _scenes(size, seed, count)
    truth = mean_colours(horses, coat)
    fake_zebras = translate(generator_g, horses)
    grey = greyed(fake_zebras)
    return {
        "zebra_change": difference(fake_zebras, grey, masks),
        "round trip F(G(x))": explained(
            mean_colours(translate(generator_f, fake_zebras), coat), truth
        ),
        "F(grey G(x))": explained(mean_colours(translate(generator_f, grey), coat), truth),
    }


def noise_test(generator_g, generator_f, size: int, sigmas=(0.01, 0.02, 0.05), seed: int = 0):
    """Faint Gaussian noise on a zebra before F: how much does F's horse change?

    For each noise level ``sigma`` (standard deviation, in [-1, 1] units) the same noise is
    added to G's zebras G(x) and to the real zebras y of the same paired scenes. Returns one
    dict per level: ``sigma``; ``zebra_change``, the mean |noise| (how much each zebra
    changed); ``F_change_on_G(x)`` and ``F_change_on_y``, the mean change of F's output; and
    ``sensitivity_on_G(x)``, ``sensitivity_on_y``: each change over ``zebra_change``. A
    sensitivity far above 1 on G(x), and not on y, would mean F reads a faint code in G(x)
    that the noise scrambles. All changes in [-1, 1] units.
    """
    horses, zebras, _ = toy.make_paired(size, seed, count=32)
    x, y = normalize(horses).numpy(), normalize(zebras).numpy()
    fake = np.asarray(generator_g(x, training=False), np.float32)
    clean = {
        "G(x)": np.asarray(generator_f(fake, training=False), np.float32),
        "y": np.asarray(generator_f(y, training=False), np.float32),
    }
    rng = np.random.default_rng(seed)
    rows = []
    for sigma in sigmas:
        noise = rng.standard_normal(x.shape).astype(np.float32) * sigma
        row = {"sigma": float(sigma), "zebra_change": float(np.abs(noise).mean())}
        for name, zebra in (("G(x)", fake), ("y", y)):
            noisy = np.asarray(generator_f(zebra + noise, training=False), np.float32)
            row[f"F_change_on_{name}"] = float(np.abs(noisy - clean[name]).mean())
            row[f"sensitivity_on_{name}"] = row[f"F_change_on_{name}"] / row["zebra_change"]
        rows.append(row)
    return rows
