"""Where G's stray marks are: G on real zebras and on the paired horses, with what each
changed, amplified.

    python research/outline-halo/background_texture.py RUN OUT.png [--rows 4]

Each row, for one paired scene of the run's seed: the real zebra y, G(y) (the identity loss's
input), |G(y) - y| times 4, and |G(x) - empty scene| times 4 outside the horse x (black inside
it), so what G paints on the sky and grass of a horse shows, and what it paints on a zebra's
for comparison.
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image

from cyclegan_lesson import inference, steganography, toy


def amplified(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| times 4 as a uint8 picture (the package's amplify, in pixels)."""
    return np.rint(steganography.amplify(a, b, gain=4.0) * 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=4)
    args = parser.parse_args()
    run = inference.load_run(args.run)
    size, n = run.config.image_size, args.rows
    horses, zebras, masks, empty = toy.make_paired(size, seed=run.config.seed, background=True)
    g_y = np.asarray(inference.translate(run.generator_g, zebras[:n]))
    g_x = np.asarray(inference.translate(run.generator_g, horses[:n]))
    rows = [
        np.concatenate(
            [
                zebras[i],
                g_y[i],
                amplified(g_y[i], zebras[i]),
                amplified(g_x[i], empty[i]) * (~masks[i])[..., None],
            ],
            axis=1,
        )
        for i in range(n)
    ]
    picture = Image.fromarray(np.concatenate(rows, axis=0))
    picture.resize((picture.width * 2, picture.height * 2), Image.NEAREST).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
