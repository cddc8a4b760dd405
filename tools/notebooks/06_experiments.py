"""Build notebooks/06_experiments.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    ATTENTION,
    AUTHORS_CODE,
    LSGAN,
    PAPER,
    POOL,
    STEGANOGRAPHY,
    TUTORIAL,
    checked,
    code,
    exercise,
    footer,
    header,
    md,
    profile,
    save,
    setup,
)

NAME = "06_experiments"

VARIANCE = (
    "Bouthillier et al. (2021), *Accounting for Variance in Machine Learning Benchmarks* (why "
    "one run per setting is not enough to rank settings): https://arxiv.org/abs/2103.03098"
)
ADVERSARIAL = (
    "Szegedy et al. (2014), *Intriguing properties of neural networks* (small perturbations "
    "that change a network's output a lot): https://arxiv.org/abs/1312.6199"
)

# Filled in from the stored run (tools/execute_notebooks.py, demo profile): what the table and
# the grid show. Kept here so the builder and the notebook say the same.
READING = """
## Reading the table

Compare every row with the **two baseline rows first**: their difference (the *spread* row)
is what changing nothing but the seed does. A variant that differs from the baseline by less
than that has not shown anything yet.

{reading}
"""

cells = [
    *header(
        NAME,
        "06 · Experiments: what each ingredient of CycleGAN does, measured",
        [
            "how to run a **scored ablation**: short runs of equal length, each changing one "
            "setting, measured side by side against the right answer;",
            "what the cycle loss, the identity loss, λ, the adversarial loss's form, the image "
            "pool and the discriminator's width each do to a translation, in numbers and "
            "pictures;",
            "how much two seeds differ, and so which differences are real;",
            "what attention-guided generators change, and what they cost;",
            "that a CycleGAN hides its input in its output, and why the cycle loss rewards it.",
        ],
        intro="""
        Notebooks 03 and 04 explained each term of CycleGAN's objective. Here we take them
        out one at a time and measure what happens. Real unpaired data cannot do this: no one
        knows what the right zebra for a given horse looks like. The toy dataset can, because
        it draws every evaluation scene twice, once with a horse and once with a zebra in
        exactly the same place.
        """,
    ),
    *setup(),
    *profile(),
    md(
        "scenes-intro",
        """
        ## Scoring against the right answer

        `toy.make_paired` draws each evaluation scene twice: the horse `x` and the zebra `y`
        it should become, with the animal's mask and the empty background. Each run below is
        scored on the same scenes (notebook 05 explains each score):

        | score | what it asks | better |
        | --- | --- | --- |
        | `domain_score` | share of G(x) a separate classifier calls zebras | higher |
        | `cycle_l1` | mean \\|F(G(x)) − x\\|: is the horse still recoverable? | lower |
        | `background_l1` | mean \\|G(x) − x\\| away from the animal: is the scenery kept? | lower |
        | `silhouette_iou` | the animal's outline in G(x) against x's (perfect ≈ 0.94) | higher |
        | `target_look` | share of G(x) whose animal has a black-and-white coat | higher |
        | `minutes` | training time of the run | lower |
        """,
    ),
    code(
        "scenes",
        """
        from IPython.display import Markdown, display

        from cyclegan_lesson import data, exercises, experiments, inference, steganography, toy, viz

        IMAGE_SIZE = 64  # the ablations run at 64 px: four times cheaper a step than 128
        horses, zebras, masks = toy.make_paired(IMAGE_SIZE, seed=0, count=6)
        viz.labelled_rows([("x", horses), ("y, as drawn", zebras)])
        """,
    ),
    md(
        "base-intro",
        """
        ## The base run and its variants

        An ablation is only fair when the runs differ in one thing. So every run starts from
        the same seed and trains the same number of steps on the same data; only the setting
        under test changes. `experiments.short_run` cuts the profile to a short run: two
        epochs, the second with the learning rate decaying to zero (the demo's schedule in
        miniature), at 64 px and with batches of one image, as in the tutorial. At 64 px a
        batch of four takes about 2.5 times as long as a batch of one on a laptop CPU, so
        batches of one give more updates in the same time, and a short GAN run needs
        updates more than it needs large batches. The table shows how the base differs
        from the profile:
        """,
    ),
    code(
        "base",
        """
        STEPS = 1500  # per run: ~3 min on a laptop CPU at 64 px

        base = experiments.short_run(config, steps=STEPS, image_size=IMAGE_SIZE, batch_size=1)
        print(base.describe_differences(config, label=active_profile()))
        """,
    ),
    md(
        "variants-intro",
        """
        `experiments.ablations(base)` lists the lesson's variants. Each is an
        `experiments.Variant`: a name, the settings it changes, and why it is interesting.
        The baseline runs with two seeds, 0 and 1, so that we know how far apart two runs of
        the *same* setting land.
        """,
    ),
    checked(
        "variants",
        """
        variants = experiments.ablations(base)
        for variant in variants:
            print(f"{variant.name:<20} {variant.why}")
        """,
    ),
    *exercise(
        "predict",
        """
        ### Exercise: predict before you run

        Scientists write their predictions down before the experiment, so the result can
        surprise them. Which **one** change raises G's `cycle_l1` the most? Set `prediction`
        to one of the names above.
        """,
        """
        prediction = ...  # e.g. "BCE"
        """,
        """
        exercises.check_prediction(prediction)
        """,
        """
        prediction = "no cycle loss"
        """,
    ),
    md(
        "run-intro",
        """
        ## Run the ablations

        `experiments.run_ablations` trains each variant in its own folder next to the
        profile's run (`runs/demo-ablations/baseline-seed0`, ...), then scores all of them on the same test horses and paired scenes.
        A run that has finished is scored again, not retrained: running this notebook twice,
        or adding one variant, costs only what is new.

        On a 2-core laptop CPU the ten runs take about half an hour (the stored outputs below
        came from a 2-core AMD EPYC, Zen 3, AVX2; their times are in the table). Under the
        `tiny` profile, which the tests use, each run takes a few seconds and the numbers
        mean nothing.
        """,
    ),
    code(
        "run",
        """
        result = experiments.run_ablations(variants, base)  # demo: in runs/demo-ablations/
        display(Markdown(result.table()))
        """,
    ),
    md(
        "grid-intro",
        """
        The same six test horses as above, translated by each run's G (first seed), one row
        per variant. The first two rows are the input and the zebra as drawn.
        """,
    ),
    code("grid", "result.grid()"),
    md("reading", READING.format(reading="{reading}")),
    md(
        "attention-intro",
        """
        ## Attention-guided generators

        The baseline's zebras tend to come out a little *fat*: a faint halo of stripes
        spills over the outline onto the grass. Nothing in the losses forbids it. The
        discriminator judges whether a patch looks like a zebra's, and a patch with a bit
        more coat and a bit less grass looks, if anything, more like one; F learns to trim
        the halo back, so the cycle loss hardly notices it.

        An attention-guided generator (Mejjati et al. 2018) paints a **mask** as well as an
        image, and its output keeps the input wherever the mask is black:

        $$G(x) = m(x) \\odot c(x) + (1 - m(x)) \\odot x$$

        The package's version pays `lambda_mask` (2) times the mask's mean area in its loss,
        so every pixel it changes costs something. The `attention` row of the table shows
        what that buys and what it costs; here are the masks it learned (white: painted,
        black: passed through):
        """,
    ),
    code(
        "attention",
        """
        attention = inference.load_run(result.run("attention"))
        viz.attention_figure(attention.generator_g, data.normalize(horses[:4]).numpy())
        """,
    ),
    md(
        "hidden-intro",
        """
        ## The hidden code

        A zebra's coat is black and white. A horse's is brown or tan. So when G turns a
        horse into a zebra, the horse's colour has nowhere visible to go, and yet the cycle
        loss asks F(G(x)) to give back the horse, colour and all. Chu, Zhmoginov and Sandler
        (2017) found what a CycleGAN does about this: it **hides** the information in its
        output, as a signal too faint to see, and F learns to read it. The toy lets us watch
        it happen.

        `steganography.colour_twins` draws each scene twice, once with a brown horse and
        once with a tan one; everything else, down to the grass's noise, is the same. If G
        kept no trace of the colour, their two zebras would be identical. To see a
        difference too small for the eye we **amplify** it: `|a − b| × gain`, in [0, 1].
        """,
    ),
    *exercise(
        "amplify",
        """
        ### Exercise: make a small difference visible

        Write `my_amplify(a, b, gain)`: two `uint8` images of one shape → `|a − b| / 255 ×
        gain`, clipped to [0, 1], as floats. (Careful: what is `3 - 5` for two `uint8`
        numbers?)
        """,
        """
        def my_amplify(a, b, gain):
            ...
        """,
        """
        exercises.check_amplify(my_amplify)
        """,
        """
        def my_amplify(a, b, gain):
            a, b = a.astype(np.float32), b.astype(np.float32)
            return np.clip(np.abs(a - b) / 255 * gain, 0.0, 1.0)
        """,
    ),
    md(
        "twins-intro",
        """
        Now the twins through the baseline's G. The last two rows are the same difference,
        amplified ten times: between the horses, and between G's zebras.
        """,
    ),
    code(
        "twins",
        """
        baseline = inference.load_run(result.run("baseline"))
        G, F = baseline.generator_g, baseline.generator_f
        brown, tan, twin_masks = steganography.colour_twins(IMAGE_SIZE, count=6)
        zebra_brown, zebra_tan = inference.translate(G, brown), inference.translate(G, tan)

        horses_differ = steganography.difference(brown, tan, twin_masks)
        zebras_differ = steganography.difference(zebra_brown, zebra_tan, twin_masks)
        print(f"mean difference on the animal: horses {horses_differ:.3f}, zebras {zebras_differ:.3f}")
        viz.labelled_rows(
            [
                ("brown x", brown),
                ("tan x", tan),
                ("G(brown x)", zebra_brown),
                ("G(tan x)", zebra_tan),
                ("horses' difference x10", np.uint8(255 * steganography.amplify(brown, tan))),
                ("zebras' difference x10", np.uint8(255 * my_amplify(zebra_brown, zebra_tan, 10))),
            ]
        )
        """,
    ),
    md(
        "recovery-intro",
        """
        Does F read what G wrote? `steganography.colour_recovery` asks how much of the
        horses' colour (its variance across 100 scenes, R²: 1 = all of it, 0 = none) comes
        back in three places: in F(G(x)), the round trip; in F(y), F shown the real zebra of
        the same scene, which holds no colour (a guess); and in G(x) itself, whose coat we
        see as grey. We ask it of the baseline, and of the run trained without a cycle loss,
        which had no reason to hide anything.
        """,
    ),
    code(
        "recovery",
        """
        for name in ("baseline", "no cycle loss"):
            run = inference.load_run(result.run(name))
            scores = steganography.colour_recovery(run.generator_g, run.generator_f, IMAGE_SIZE)
            print(f"{name:<14}", "   ".join(f"{k}: {v:5.2f}" for k, v in scores.items()))
        """,
    ),
    md(
        "noise-intro",
        """
        A code this faint should be fragile. `steganography.noise_test` adds the same faint
        Gaussian noise (σ in [-1, 1] units; one grey level is 0.008) to G's zebras and to
        real zebras, and measures how much F's horse changes per unit of change in its
        input (the *gain*). A gain near 1 means F passes small changes through; far above 1
        on G(x) means F is reading a signal that the noise scrambles.
        """,
    ),
    code(
        "noise",
        """
        rows = steganography.noise_test(G, F, IMAGE_SIZE, sigmas=(0.01, 0.02, 0.05, 0.1))
        print("   σ   zebra change   F's change on G(x)   on y    gain on G(x)   on y")
        for r in rows:
            print(
                f"{r['sigma']:5.2f}   {r['zebra_change']:8.4f}   {r['F_change_on_G(x)']:14.4f}"
                f"   {r['F_change_on_y']:10.4f}   {r['gain_on_G(x)']:8.2f}   {r['gain_on_y']:8.2f}"
            )
        """,
    ),
    md("hidden-reading", "{hidden_reading}"),
    md(
        "hidden-why",
        """
        **Why the cycle loss rewards this.** The cycle loss is an L1 distance between x and
        F(G(x)), and the adversarial loss only asks that G(x) *look* like a zebra to a
        discriminator. Colour that G cannot show openly, it can still write in shades a few
        grey levels deep: D does not object to them (real zebras vary that much), and F can
        use them to score a lower cycle loss. So the round trip looks better than the
        translation deserves. This matters in practice: a low cycle loss does not prove
        that G(x) kept x's content in a form anyone can see, and a model whose F depends on
        such a code is fragile to noise, to JPEG compression, and to deliberate
        perturbations (the adversarial examples of Szegedy et al.).
        """,
    ),
    *exercise(
        "variant",
        """
        ### Exercise: design an ablation of your own

        Make an `experiments.Variant` that changes **one** setting of `base` (any field of
        the `Config`: `print(base)` lists them) to a value it does not already have, with a
        new name. The check tells you if your variant would be a fair experiment; the first
        try-it below runs it.
        """,
        """
        my_variant = ...  # experiments.Variant("a name", {"setting": value})
        """,
        """
        exercises.check_variant(my_variant, base)
        """,
        """
        my_variant = experiments.Variant("lambda 3", {"lambda_cycle": 3.0}, "between 1 and 10")
        """,
    ),
    *footer(
        [
            "An ablation changes one thing at a time, from the same seed and for the same "
            "number of steps, and is scored against the right answer; "
            "`experiments.run_ablations` does this for a list of `Variant`s.",
            "Two seeds of the same setting differ: a difference smaller than their spread is "
            "not yet a finding.",
            "{summary_findings}",
            "Attention-guided generators pay for every pixel they change, which keeps the "
            "background and trims the outline, at the price of a mask.",
            "A CycleGAN hides what its output cannot show (the horse's colour) in shades too "
            "faint to see, because the cycle loss rewards it; faint noise breaks the code.",
        ],
        """
        Each of these runs as written, after the cells above.

        1. **Run your variant.** It trains one more short run (about three minutes on a
           laptop CPU) and scores it on the same scenes as the others. Is its difference
           from the baseline larger than the baseline's spread?

           ```python
           mine = experiments.run_ablations([my_variant], base, output_dir="runs/try-ablation")
           display(Markdown(mine.table()))
           mine.grid()
           ```

        2. **The hidden code without a cycle loss.** Repeat the twins with the run trained
           without a cycle loss. Do its zebras still differ?

           ```python
           G_plain = inference.load_run(result.run("no cycle loss")).generator_g
           a, b = inference.translate(G_plain, brown), inference.translate(G_plain, tan)
           print(f"zebras differ by {steganography.difference(a, b, twin_masks):.3f}")
           amplified = np.uint8(255 * steganography.amplify(a, b))
           viz.labelled_rows([("G(brown x)", a), ("G(tan x)", b), ("x10", amplified)])
           ```

        3. **How loud is the code?** Amplify the baseline's zebras' difference 2, 10 and 50
           times. At which gain do you first see the horse?

           ```python
           gains = (2, 10, 50)
           amplified = [steganography.amplify(zebra_brown, zebra_tan, g) for g in gains]
           viz.labelled_rows([(f"x{g}", np.uint8(255 * a)) for g, a in zip(gains, amplified)])
           ```
        """,
        [
            PAPER + " (its Section 5.1.4 and Table 4: the paper's own ablation of the cycle "
            "loss, on Cityscapes)",
            STEGANOGRAPHY,
            ATTENTION,
            LSGAN,
            POOL,
            VARIANCE,
            ADVERSARIAL,
            TUTORIAL,
            AUTHORS_CODE,
        ],
        None,
    ),
    md(
        "end",
        """
        **This is the last notebook.** Back to the [lesson's start](01_input_pipeline.ipynb),
        or train on real photos: set the profile to `tutorial` (a GPU runtime) and run the
        notebooks again from 01.
        """,
    ),
]

# The findings are written from the stored run's numbers; the builder fills them in.
FINDINGS = {
    "reading": "(to be written from the stored run)",
    "hidden_reading": "(to be written from the stored run)",
    "summary_findings": "(to be written from the stored run)",
}


def _fill(cell):
    for key, text in FINDINGS.items():
        cell.source = cell.source.replace("{" + key + "}", text)
    return cell


cells = [_fill(c) for c in cells]

if __name__ == "__main__":
    print(save(NAME, cells))
