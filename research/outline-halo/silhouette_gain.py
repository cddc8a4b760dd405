"""Where does A -> B's silhouette grow? The area a run's zebras gain, by distance from the outline.

For each paired toy scene (as ``cyclegan-lesson evaluate``), the pixels the translated
animal gained are binned by their (chessboard) distance from the input's animal: 1 px (the
``silhouette_halo`` of ``evaluate``), 2 px, 3 px, and 4 px or more (stray marks). Each bin is a
share of the input animal's area, averaged over the scenes. With the share lost L and the
share gained A, the IoU is about (1 - L) / (1 + A); the last column is the IoU the run would
score with every pixel gained beyond 2 px removed (a perfectly clean background).

    python research/outline-halo/silhouette_gain.py RUN[@STEP] [RUN[@STEP] ...]

``@STEP`` picks the checkpoint ``RUN/checkpoints/ckpt-STEP`` instead of the newest. The last
row is the perfect translation (each scene rendered striped), for scale.

``--paths`` prints how sharp G is on each of its three kinds of input in training: horses
(what ``evaluate`` scores; only the adversarial loss and the cycle through F reach these
outputs), real zebras (the identity loss: an L1 target for G's own output) and F's fake
horses (the cycle's way back: an L1 target too). Each is scored against its input's
silhouette like ``evaluate``. A last column scores the cycle back, F(G(x)), against the
horses: how much of G's halo F takes off again.

``--rim`` says what the 1-px halo is made of: the shares of its pixels that are dark (mean
of RGB below 0.3), light (above 0.7) or in between, for each run and the perfect translation.

``--drawn-mask`` prints a second table: each output's silhouette (found as ``evaluate`` does,
at several thresholds) against the animal's mask as drawn -- is the low IoU the metric's
doing (the input's own silhouette, found with the same threshold, is brown on green, a weaker
contrast than black and white on green) or the zebras'?
"""

from __future__ import annotations

import sys

import numpy as np

from cyclegan_lesson import evaluation, toy
from cyclegan_lesson.inference import load_run, translate

DISTANCES = ("1 px", "2 px", "3 px", ">= 4 px")


def gained_by_distance(inputs, outputs, backgrounds) -> tuple[np.ndarray, float]:
    """(4,) shares of the input silhouettes' area gained at 1, 2, 3 and >= 4 px from them,
    and the mean IoU with the pixels gained beyond 2 px left out."""
    shares, near_ious = np.zeros(len(DISTANCES)), []
    for x, y, empty in zip(inputs, outputs, backgrounds, strict=True):
        before, after = evaluation.silhouette(x, empty), evaluation.silhouette(y, empty)
        gained = after & ~before
        rings = [before] + [evaluation._grow(before, d) for d in (1, 2, 3)]
        counts = [(gained & rings[d] & ~rings[d - 1]).sum() for d in (1, 2, 3)]
        counts.append((gained & ~rings[3]).sum())
        shares += np.array(counts) / max(int(before.sum()), 1)
        near_ious.append(evaluation.iou(before, after & rings[2]))
    return shares / len(inputs), float(np.mean(near_ious))


THRESHOLDS = (0.15, 0.2, 0.25, 0.3)


def drawn_mask_ious(outputs, masks, backgrounds, thresholds=THRESHOLDS) -> list[float]:
    """Mean IoU of the outputs' silhouettes, found at each threshold ([0, 1] units), with the
    drawn (N, H, W) bool masks."""
    triples = list(zip(outputs, masks, backgrounds, strict=True))
    return [
        float(np.mean([evaluation.iou(m, evaluation.silhouette(y, e, t)) for y, m, e in triples]))
        for t in thresholds
    ]


def rim_colours(inputs, outputs, backgrounds) -> np.ndarray:
    """Shares (dark, mid, light) of the gained pixels 1 px outside the inputs' silhouettes,
    by the mean of their RGB in [0, 1]: below 0.3, 0.3 to 0.7, above 0.7."""
    counts = np.zeros(3)
    for x, y, empty in zip(inputs, outputs, backgrounds, strict=True):
        before, after = evaluation.silhouette(x, empty), evaluation.silhouette(y, empty)
        rim = after & ~before & evaluation._grow(before, 1)
        grey = y[rim].astype(np.float32).mean(axis=-1) / 255.0
        counts += [(grey < 0.3).sum(), ((grey >= 0.3) & (grey <= 0.7)).sum(), (grey > 0.7).sum()]
    return counts / max(counts.sum(), 1)


def path_scores(fake_zebras, generator_g, generator_f, a, b, masks, empty) -> dict:
    """(silhouette IoU, halo) of G on horses ``a`` (its zebras ``fake_zebras``, G(a), given),
    on zebras ``b`` and on F(``b``), and of the cycle back, F(G(``a``)), against the horses."""
    paths = {
        "G(x), horses": (a, fake_zebras),
        "G(y), zebras (identity loss)": (b, translate(generator_g, b)),
        "G(F(y)), F's horses (cycle loss)": (b, translate(generator_g, translate(generator_f, b))),
        "F(G(x)), back to horses": (a, translate(generator_f, fake_zebras)),
    }
    scores = {}
    for name, (inputs, outputs) in paths.items():
        m = evaluation.paired_metrics(inputs, outputs, masks, empty, "striped")
        scores[name] = (m["silhouette_iou"], m["silhouette_halo"])
    return scores


def load_spec(spec: str):
    """``RUN`` or ``RUN@STEP`` -> the run (:func:`load_run`) at its newest checkpoint or at
    ``RUN/checkpoints/ckpt-STEP``. The other tools take runs the same way."""
    run, _, step = spec.partition("@")
    return load_run(run, f"{run}/checkpoints/ckpt-{step}" if step else None)


def main(argv: list[str]) -> None:
    drawn, paths, rim = "--drawn-mask" in argv, "--paths" in argv, "--rim" in argv
    argv = [arg for arg in argv if arg not in ("--drawn-mask", "--paths", "--rim")]
    if not argv:
        sys.exit(__doc__)
    print_header()
    scenes, outputs, path_rows = {}, [], []
    for spec in argv:
        loaded = load_spec(spec)
        size, seed = loaded.config.image_size, loaded.config.seed
        if (size, seed) not in scenes:
            scenes[size, seed] = toy.make_paired(size, seed, background=True)
        a, b, masks, empty = scenes[size, seed]
        out = translate(loaded.generator_g, a)
        row(spec, a, out, masks, empty)
        outputs.append((spec, a, out, masks, empty))
        if paths:
            path_rows.append(
                (spec, path_scores(out, loaded.generator_g, loaded.generator_f, a, b, masks, empty))
            )
    for (size, seed), (a, b, masks, empty) in scenes.items():
        row(f"perfect translation ({size} px, seed {seed})", a, b, masks, empty)
        outputs.append((f"perfect translation ({size} px, seed {seed})", a, b, masks, empty))
        outputs.append((f"no translation ({size} px, seed {seed})", a, a, masks, empty))
    if rim:
        print("\nThe 1-px halo's pixels: dark / mid / light")
        for name, inputs, out, _, empty in outputs:
            if not name.startswith("no translation"):
                shares = rim_colours(inputs, out, empty)
                print(f"{name:44s} " + " / ".join(f"{v:.3f}" for v in shares))
    if paths:
        print("\nSilhouette IoU / halo of G by input, and of the cycle back:")
        for spec, scores in path_rows:
            print(
                f"{spec:44s} "
                + "  ".join(f"{k}: {v[0]:.3f} / {v[1]:.3f}" for k, v in scores.items())
            )
    if drawn:
        print("\nIoU with the drawn mask, the output's silhouette found at threshold:")
        print(f"{'run':44s} " + " ".join(f"{t:>6.2f}" for t in THRESHOLDS))
        for name, _, out, masks, empty in outputs:
            ious = drawn_mask_ious(out, masks, empty)
            print(f"{name:44s} " + " ".join(f"{v:6.3f}" for v in ious))


def print_header() -> None:
    """The column names of :func:`row`."""
    header = f"{'run':44s} {'IoU':>6s} {'lost':>6s} " + " ".join(f"{d:>8s}" for d in DISTANCES)
    header += "  IoU within 2 px"
    print(header)
    print("-" * len(header))


def row(name, a, out, masks, empty) -> None:
    metrics = evaluation.paired_metrics(a, out, masks, empty, "striped")
    shares, near_iou = gained_by_distance(a, out, empty)
    print(
        f"{name:44s} {metrics['silhouette_iou']:6.3f} {metrics['silhouette_lost']:6.3f} "
        + " ".join(f"{s:8.3f}" for s in shares)
        + f"  {near_iou:15.3f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
