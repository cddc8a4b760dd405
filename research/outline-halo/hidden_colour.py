"""Does G hide the horse's colour in its zebra? (CycleGAN's "steganography", Chu et al. 2017.)

A zebra's coat is black and white, so translating a brown or tan horse to a zebra throws its
colour away -- yet the cycle loss asks F(G(x)) to give the horse back, colour included. For
each paired toy scene this compares the horse's coat colour (mean RGB inside the animal,
2 px away from the outline) with the colour of:

* ``F(G(x))``: the horse after the round trip. If F gets the colour back, G has written it
  into its zebra in a form a person does not see;
* ``F(y)``: the same scene's real zebra translated to a horse. Nothing in it tells F the
  colour, so this is the score of a guess.

Scores are the share of the colours' variance across scenes that a per-channel linear fit
explains (R^2, mean over RGB; 0 = no better than one colour for all). The last column says
where G writes: R^2 of the horse's colour from G(x)'s own mean colour in the band 2 px either
side of the outline.

A second table asks whether D_Y could tell a zebra by such a tint: its mean output (LSGAN:
1 = real) on the real zebras, on the same zebras given 15% of their horse's hue
(:func:`tint`), and on G's zebras.

    python research/outline-halo/hidden_colour.py RUN[@STEP] [RUN[@STEP] ...]
"""

from __future__ import annotations

import sys

import numpy as np

from cyclegan_lesson import evaluation, toy
from cyclegan_lesson.data import normalize
from cyclegan_lesson.inference import translate

# the colour scores live in the package (notebook 06 uses them too)
from cyclegan_lesson.steganography import explained, interior, mean_colours


def edge_band(masks: np.ndarray, margin: int = 2) -> np.ndarray:
    """Pixels within ``margin`` px of the outline, on either side (N, H, W) bool."""
    return np.array([evaluation._grow(m, margin) & evaluation._grow(~m, margin) for m in masks])


def tint(images: np.ndarray, masks: np.ndarray, colours: np.ndarray, strength: float):
    """Give each image's animal ``strength`` of a colour's hue at its own brightness:
    pixel -> (1 - strength) * pixel + strength * grey(pixel) * colour / mean(colour).
    (N, H, W, 3) uint8, (N, H, W) bool, (N, 3) -> (N, H, W, 3) uint8."""
    out = images.astype(np.float32)
    for image, mask, colour in zip(out, masks, colours, strict=True):
        pixels = image[mask]
        grey = pixels.mean(axis=1, keepdims=True)
        image[mask] = (1 - strength) * pixels + strength * grey * colour / colour.mean()
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def mean_output(discriminator, images: np.ndarray, batch: int = 32) -> float:
    """Mean of D's patch outputs over (N, H, W, 3) uint8 images (run ``batch`` at a time)."""
    x = normalize(images).numpy()
    outputs = [
        np.asarray(discriminator(x[i : i + batch], training=False)) for i in range(0, len(x), batch)
    ]
    return float(np.mean(np.concatenate(outputs)))


def discriminator_scores(discriminator, fake_zebras, a, b, masks) -> dict:
    """D's mean output on real zebras ``b``, on them tinted with their horse's colour, and
    on G's zebras ``fake_zebras`` (G(a))."""
    horse = mean_colours(a, interior(masks))
    return {
        "real zebras": mean_output(discriminator, b),
        "real zebras, tinted": mean_output(discriminator, tint(b, masks, horse, 0.15)),
        "G(x)": mean_output(discriminator, fake_zebras),
    }


def scores(fake_zebra, generator_f, a, b, masks) -> dict:
    """The table's three R^2 for one run on paired scenes ``a`` (horses), ``b`` (zebras),
    given G's zebras ``fake_zebra`` (G(a))."""
    inside = interior(masks)
    horse = mean_colours(a, inside)
    round_trip = translate(generator_f, fake_zebra)
    guess = translate(generator_f, b)
    return {
        "round trip F(G(x))": explained(mean_colours(round_trip, inside), horse),
        "guess F(y)": explained(mean_colours(guess, inside), horse),
        "G(x) outline band": explained(mean_colours(fake_zebra, edge_band(masks)), horse),
    }


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    from silhouette_gain import load_spec

    print("| run | R^2 round trip F(G(x)) | R^2 guess F(y) | R^2 from G(x)'s outline band |")
    print("| --- | ---: | ---: | ---: |")
    scenes, judged = {}, []
    for spec in argv:
        loaded = load_spec(spec)
        key = (loaded.config.image_size, loaded.config.seed)
        if key not in scenes:
            scenes[key] = toy.make_paired(*key)
        fake_zebra = translate(loaded.generator_g, scenes[key][0])
        s = scores(fake_zebra, loaded.generator_f, *scenes[key])
        print(f"| {spec} | " + " | ".join(f"{v:.2f}" for v in s.values()) + " |")
        d_y = loaded.models["discriminator_y"]
        judged.append((spec, discriminator_scores(d_y, fake_zebra, *scenes[key])))
    print("\n| run | D_Y on real zebras | on real zebras, tinted | on G(x) |")
    print("| --- | ---: | ---: | ---: |")
    for spec, d in judged:
        print(f"| {spec} | " + " | ".join(f"{v:.3f}" for v in d.values()) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
