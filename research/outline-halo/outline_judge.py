"""Can the discriminators see how fat an animal is? (quality-bar.md)

G's zebras come out about a pixel fatter all round than their horses. For that to cost G
anything, D_Y must rate a fatter zebra as less real. This renders each paired toy scene's
real zebra (and real horse) with its outline moved by OFFSET pixels (the signed distance
shifted: +1 is a pixel fatter all round, -1 a pixel thinner; the ends of the body and head,
ellipses whose distance toy scales by the short axis, move about twice as far; stripes,
colours and background unchanged) and prints the discriminators' mean output (LSGAN:
1 = real, 0 = fake) on each, next to their output on G's and F's translations of the
unmoved scenes.

With ``--perfect SIZE`` it scores, instead, the perfect translation (each paired scene's
horse, rendered striped) drawn with its outline moved, as ``evaluate`` would score a G
that made it: how much of the silhouette IoU bar a fraction of a pixel costs.

    python research/outline-halo/outline_judge.py RUN[@STEP] [RUN[@STEP] ...]
        [--offsets -2 -1 0 1 2]
    python research/outline-halo/outline_judge.py --perfect 128 [--offsets -0.5 0 0.25 0.5 1]
"""

from __future__ import annotations

import argparse
import contextlib

from cyclegan_lesson import evaluation, toy
from cyclegan_lesson.inference import translate


@contextlib.contextmanager
def outline_offset(pixels: float, size: int):
    """Within the block, :func:`toy.render` draws animals ``pixels`` fatter all round
    (negative: thinner) at image side ``size``."""
    sdf = toy.animal_sdf
    toy.animal_sdf = lambda scene, x, y: sdf(scene, x, y) - pixels / size
    try:
        yield
    finally:
        toy.animal_sdf = sdf


def paired_with_offset(pixels: float, size: int, seed: int, count: int = toy.PAIRED_SIZE):
    """:func:`toy.make_paired` with every outline moved by ``pixels``: (a, b, masks)."""
    with outline_offset(pixels, size):
        return toy.make_paired(size, seed, count)


def perfect_scores(size: int, seed: int, offsets, count: int = toy.PAIRED_SIZE) -> dict:
    """:func:`evaluation.paired_metrics` (A -> B) of the perfect translation with its outline
    moved by each of ``offsets`` pixels: {offset: metrics}."""
    a, _, masks, empty = toy.make_paired(size, seed, count, background=True)
    return {
        o: evaluation.paired_metrics(
            a, paired_with_offset(o, size, seed, count)[1], masks, empty, "striped"
        )
        for o in offsets
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", metavar="RUN[@STEP]")
    parser.add_argument("--offsets", type=float, nargs="+", default=[-2, -1, 0, 1, 2])
    parser.add_argument("--perfect", type=int, metavar="SIZE")
    parser.add_argument("--seed", type=int, default=0, help="toy scenes' seed for --perfect")
    args = parser.parse_args(argv)
    if args.perfect:
        print("| outline moved | IoU A -> B | added | halo | lost |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for o, r in perfect_scores(args.perfect, args.seed, args.offsets).items():
            cells = (r[k] for k in ("silhouette_iou", "silhouette_added", "silhouette_halo"))
            print(f"| {o:+g} px | " + " | ".join(f"{v:.3f}" for v in cells), end="")
            print(f" | {r['silhouette_lost']:.3f} |")
        return
    if not args.runs:
        parser.error("name a run, or pass --perfect SIZE")
    from hidden_colour import mean_output
    from silhouette_gain import load_spec

    moved = " | ".join(f"real {o:+g} px" for o in args.offsets)
    rule = " | ".join("---:" for _ in args.offsets)
    rows, rendered = [], {}
    for spec in args.runs:
        loaded = load_spec(spec)
        key = (loaded.config.image_size, loaded.config.seed)
        if key not in rendered:  # runs of one size and seed share their scenes
            rendered[key] = {o: paired_with_offset(o, *key) for o in {*args.offsets, 0}}
        scenes = rendered[key]
        a, b, _ = scenes[0]
        fakes = {
            "discriminator_y": translate(loaded.generator_g, a),
            "discriminator_x": translate(loaded.generator_f, b),
        }
        for name, index, label in (("discriminator_y", 1, "D_Y"), ("discriminator_x", 0, "D_X")):
            d = loaded.models[name]
            real = [mean_output(d, scenes[o][index]) for o in args.offsets]
            rows.append((spec, label, real, mean_output(d, fakes[name])))
    print(f"| run | judge | {moved} | translations |")
    print(f"| --- | --- | {rule} | ---: |")
    for spec, label, real, fake in rows:
        print(f"| {spec} | {label} | " + " | ".join(f"{v:.3f}" for v in real) + f" | {fake:.3f} |")


if __name__ == "__main__":
    main()
