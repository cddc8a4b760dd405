"""Build notebooks/03_losses.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    AUTHORS_CODE,
    GAN,
    LSGAN,
    PAPER,
    PIX2PIX,
    SELF_REG,
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

NAME = "03_losses"

cells = [
    *header(
        NAME,
        "03 · The losses: what CycleGAN is trained to do",
        [
            "the whole CycleGAN objective, term by term, and how each term becomes a few lines "
            "of the tutorial's code;",
            "why fooling a discriminator is not enough, shown on real images: a generator "
            "that answers every horse with the same zebra;",
            "the cycle-consistency loss (the English → French → English test) and the "
            "identity loss;",
            "to write the tutorial's four loss functions yourself, each one checked;",
            "the one loss the demo adds to the tutorial's, a price on every pixel a generator "
            "changes;",
            "binary cross-entropy against least squares (LSGAN): the tutorial's choice, the "
            "paper's, and why they differ.",
        ],
        intro="""
        Notebook 02 built four networks: G turns horses (X) into zebras (Y), F turns zebras
        into horses, D_Y judges whether an image is a real zebra and D_X whether it is a
        real horse. Untrained, they know nothing. This notebook writes down what "good"
        means for each of them: the losses that training, in notebook 04, will push down.
        """,
    ),
    *setup(),
    *profile(),
    md(
        "objective",
        r"""
        ## The objective

        CycleGAN trains its four networks on one objective. In the paper's notation:

        $$
        \mathcal{L}(G, F, D_X, D_Y) = \mathcal{L}_{\text{GAN}}(G, D_Y, X, Y)
        + \mathcal{L}_{\text{GAN}}(F, D_X, Y, X)
        + \lambda\, \mathcal{L}_{\text{cyc}}(G, F)
        + 0.5\, \lambda\, \mathcal{L}_{\text{identity}}(G, F)
        $$

        The paper's objective (its equation 3) has the first three terms; the identity
        term comes from its section on paintings and photos and from the authors' code,
        and the tutorial uses it throughout. The generators want the sum small; the
        discriminators, which appear only in the two adversarial terms, want those large:

        $$
        G^*, F^* = \arg\min_{G, F}\, \max_{D_X, D_Y}\, \mathcal{L}(G, F, D_X, D_Y)
        $$

        **The adversarial terms.** The first one, for G and its judge D_Y:

        $$
        \mathcal{L}_{\text{GAN}}(G, D_Y, X, Y) =
        \mathbb{E}_{y \sim p_{\text{data}}(y)}\big[\log D_Y(y)\big]
        + \mathbb{E}_{x \sim p_{\text{data}}(x)}\big[\log\big(1 - D_Y(G(x))\big)\big]
        $$

        $D_Y(y)$ is the discriminator's probability that $y$ is a real zebra, and
        $\mathbb{E}_{y \sim p_{\text{data}}(y)}$ the average over real zebra photographs
        (in code: over a batch, and over every patch of the PatchGAN's map). D_Y maximises
        the sum by saying "real" (near 1) to real zebras and "fake" (near 0) to G's
        translations; G minimises it by making $D_Y(G(x))$ large. The second term,
        $\mathcal{L}_{\text{GAN}}(F, D_X, Y, X)$, is the mirror image: F translates zebras
        into horses and D_X judges them.

        **The cycle-consistency term.** A horse sent to the zebras and back should return
        as the same horse, and a zebra sent the other way round as the same zebra:

        $$
        \mathcal{L}_{\text{cyc}}(G, F) =
        \mathbb{E}_{x \sim p_{\text{data}}(x)}\big[\lVert F(G(x)) - x \rVert_1\big]
        + \mathbb{E}_{y \sim p_{\text{data}}(y)}\big[\lVert G(F(y)) - y \rVert_1\big]
        $$

        $\lVert \cdot \rVert_1$ is the L1 distance, the sum of the absolute differences of
        all pixel values. The code takes their **mean** instead, which divides by a fixed
        number of values and so only rescales the term.

        **The identity term.** A generator handed an image that already belongs to its
        target domain should leave it alone:

        $$
        \mathcal{L}_{\text{identity}}(G, F) =
        \mathbb{E}_{y \sim p_{\text{data}}(y)}\big[\lVert G(y) - y \rVert_1\big]
        + \mathbb{E}_{x \sim p_{\text{data}}(x)}\big[\lVert F(x) - x \rVert_1\big]
        $$

        **The weights.** $\lambda = 10$ sets how much the round trip counts against
        fooling the discriminators; the identity term gets half of that, $0.5\,\lambda = 5$,
        as in the tutorial and in the authors' code.
        """,
    ),
    md(
        "analogy",
        """
        ### There and back again

        The cycle loss is a test you can run on any translator. Have them translate an
        English sentence into French; give the French to a second translator, who has never
        seen the English, and have it translated back. If the sentence that returns is the
        one you started with, the French kept its meaning. Nobody needed a book of example
        sentences with their translations, only the demand that the round trip closes.
        CycleGAN makes the same demand of G and F: G writes the "French" (the zebra), F
        translates it back, and the cycle loss measures how far the result lands from the
        original horse.

        Now picture a lazy translator who answers *every* English sentence with the same
        flawless French one. Each answer is perfect French, so a judge who only checks the
        French finds nothing wrong. The round trip exposes him at once: from that one
        sentence, nobody can get back all the different English ones.
        """,
    ),
    md(
        "collapse-intro",
        """
        ## Why fooling the discriminator is not enough

        The lazy translator, on images. Take the profile's test images, and a "generator"
        that ignores its input and answers every horse with the same real zebra photograph.
        `models.build_models(config)` builds the networks of notebook 02, untrained; for this
        argument any discriminator will do.
        """,
    ),
    code(
        "collapse-data",
        """
        from cyclegan_lesson import data, exercises, losses, models, viz

        raw, _ = data.raw_source(config)  # the test images are all this notebook needs
        test_x, test_y = (data.test_pipeline(raw[s], config).unbatch() for s in ("testA", "testB"))
        horses = next(iter(test_x.batch(8)))  # eight test horses, x_1 ... x_8
        zebras = next(iter(test_y.batch(8)))  # eight test zebras
        one_zebra = zebras[:1]
        lazy_g = tf.repeat(one_zebra, len(horses), axis=0)  # the lazy G(x): one zebra for all
        nets = models.build_models(config)  # G, F, D_X, D_Y
        print("horses:", horses.shape, " lazy G(x):", lazy_g.shape)
        """,
    ),
    md(
        "collapse-adversarial-intro",
        """
        What does D_Y make of the lazy G? Its outputs are, pixel for pixel, a real zebra
        photograph, so whatever D_Y says about that photograph, it says about every
        "translation". The lazy G's adversarial loss is exactly the one a real zebra earns:
        for this untrained D_Y, for a perfect one, for any. (The losses come from the
        package, `cyclegan_lesson.losses`; you will write them yourself below.)
        """,
    ),
    code(
        "collapse-adversarial",
        """
        d_y = nets["discriminator_y"]
        on_real = losses.generator_loss(d_y(one_zebra), config.loss)
        on_lazy = losses.generator_loss(d_y(lazy_g), config.loss)
        print(f"G's adversarial loss if its output were the real zebra: {float(on_real):.4f}")
        print(f"G's adversarial loss for the lazy G(x)'s:               {float(on_lazy):.4f}")
        """,
    ),
    md(
        "collapse-cycle-intro",
        """
        Now the round trip. F receives the same zebra for all eight horses, so whatever F
        is, it returns one and the same image for all of them: it cannot give each horse
        back. Let F cheat as much as it likes and pick the single image closest, in L1, to
        all eight horses at once: the per-pixel **median** of the horses (a median is the
        value with the smallest sum of absolute differences to a set of numbers). Even that
        F pays:
        """,
    ),
    code(
        "collapse-cycle",
        """
        best_f = np.median(horses, axis=0, keepdims=True)  # the best single answer F could give
        grey = tf.zeros_like(one_zebra)  # an F that answers plain grey
        for name, answer in [
            ("F answers grey", grey),
            ("F's best possible answer", best_f),
            ("a round trip that closes", horses),
        ]:
            print(f"cycle loss, {name + ':':26s} {float(losses.cycle_loss(horses, answer)):.3f}")
        """,
    ),
    md(
        "collapse-picture-intro",
        """
        In pictures: the horses (top), the lazy G's answer to each (middle) and the best
        any F can bring back from it (bottom), a ghost of all the horses at once. A small
        helper draws rows of images in [-1, 1], each with its own title:
        """,
    ),
    code(
        "show-rows",
        """
        def show_rows(rows, titles, size=1.7):
            \"\"\"Rows of [-1, 1] images (lists of (H, W, 3) arrays), one title per image.\"\"\"
            n_rows, n_cols = len(rows), len(rows[0])
            fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows))
            for ax_row, image_row, title_row in zip(np.atleast_2d(axes), rows, titles, strict=True):
                for ax, image, title in zip(ax_row, image_row, title_row, strict=True):
                    ax.imshow(viz.to_display(image))  # [-1, 1] -> [0, 1], contrast 1
                    ax.set_title(title, fontsize=9)
                    ax.axis("off")
            plt.show()
        """,
    ),
    code(
        "collapse-picture",
        """
        n = 4
        show_rows(
            [list(horses[:n]), list(lazy_g[:n]), [best_f[0]] * n],
            [[f"x{i + 1}" for i in range(n)], ["G(x): the zebra"] * n, ["best F(G(x))"] * n],
        )
        """,
    ),
    md(
        "collapse-takeaway",
        """
        So the adversarial loss is **under-constrained**: it asks G for *some* zebra, not
        for *this horse* as a zebra. The lazy G scores as well as real photographs do, yet
        no F can undo it, and its cycle loss stays far from 0, where a translation that
        keeps each horse recoverable could bring it. (A discriminator that saw the same
        zebra over and over could learn to distrust that one picture; GANs that fall into
        this trap suffer what is called *mode collapse*. But G could just as well answer
        each horse with a *different* real zebra, in any order: a shuffle of the zebras
        leaves nothing for even a perfect judge of zebras to object to. The adversarial
        loss cannot tell which zebra belongs to which horse; only the cycle loss asks that
        the horse can be read back from its zebra.)

        The cycle loss alone has its own lazy winner: a G and an F that change nothing
        close every round trip perfectly, like the last line above. The adversarial loss
        forbids that, since an untouched horse is no zebra to D_Y. Each term rules out the
        other's cheat. Together they still do not single out one mapping, as the paper
        notes, but they leave far fewer, and the ones training finds in practice keep the
        scene and change the coat.
        """,
    ),
    md(
        "seed-code",
        """
        ## The tutorial's losses in code

        The tutorial sets up two things first: the weight λ, and the loss object its
        adversarial losses share.
        """,
    ),
    code("seed-lambda", "LAMBDA = 10"),
    code("seed-loss-obj", "loss_obj = tf.keras.losses.BinaryCrossentropy(from_logits=True)"),
    md(
        "bce-explain",
        r"""
        A discriminator outputs **logits**: any real number, large for "real", very negative
        for "fake". The probability of "real" is the sigmoid of the logit,
        $\sigma(l) = 1 / (1 + e^{-l})$, and `from_logits=True` has the loss apply it itself,
        in a numerically safe way. Binary cross-entropy with label 1 is
        $-\ln \sigma(l) = \ln(1 + e^{-l})$, with label 0 it is
        $-\ln(1 - \sigma(l)) = \ln(1 + e^{l})$, and the loss averages it over every entry.
        On a 2 × 2 patch map, by hand:
        """,
    ),
    checked(
        "bce-by-hand",
        """
        patch_logits = tf.constant([[3.0, -3.0], [0.0, 1.0]])  # D's logits for four patches
        # label 1: ln(1 + e^-3) = 0.0486, ln(1 + e^3) = 3.0486, ln 2 = 0.6931, ln(1 + e^-1) = 0.3133
        print(f"labels 1: {float(loss_obj(tf.ones_like(patch_logits), patch_logits)):.4f}")
        # label 0: ln(1 + e^3) = 3.0486, ln(1 + e^-3) = 0.0486, ln 2 = 0.6931, ln(1 + e^1) = 1.3133
        print(f"labels 0: {float(loss_obj(tf.zeros_like(patch_logits), patch_logits)):.4f}")
        """,
    ),
    md(
        "disc-explain",
        r"""
        ### The discriminator's loss

        D_Y maximises $\log D_Y(y) + \log(1 - D_Y(G(x)))$. With $D_Y = \sigma(\text{logit})$
        that is the same as *minimising* the cross-entropy of the real images' logits
        against label 1 plus that of the generated images' logits against label 0: call
        real images real and generated ones fake. The tutorial multiplies the sum by 0.5, as
        the authors' code does; the paper's reason is to slow the discriminator down
        relative to the generators. (With Adam, the optimiser used here, the factor matters
        less than it sounds: Adam divides each gradient by its own running size, so halving
        a loss barely changes the steps.) Worked by hand with the package's
        `losses.discriminator_loss`:
        """,
    ),
    checked(
        "disc-by-hand",
        """
        says_real = tf.fill([2, 2], 3.0)  # every patch: logit 3, "real" (sigmoid(3) = 0.95)
        says_fake = tf.fill([2, 2], -3.0)  # every patch: logit -3, "fake"
        # right about both: 0.5 * (ln(1 + e^-3) + ln(1 + e^-3)) = 0.5 * (0.0486 + 0.0486)
        print(f"D right about both: {float(losses.discriminator_loss(says_real, says_fake)):.4f}")
        # wrong about both: 0.5 * (ln(1 + e^3) + ln(1 + e^3)) = 0.5 * (3.0486 + 3.0486)
        print(f"D wrong about both: {float(losses.discriminator_loss(says_fake, says_real)):.4f}")
        """,
    ),
    *exercise(
        "ex-disc",
        """
        ### Exercise 1: write `discriminator_loss`

        `real` holds a discriminator's logits on real images, `generated` its logits on
        generated ones (any shape: a batch of patch maps). Use `loss_obj` with labels
        `tf.ones_like(real)` for the real logits and `tf.zeros_like(generated)` for the
        generated ones, add the two losses, and halve the sum. The check runs your function
        on hidden logits and names the mistake, if it recognises one.
        """,
        """
        def discriminator_loss(real, generated):
            # your code here
            ...
        """,
        "exercises.check_discriminator_loss(discriminator_loss)",
        """
        def discriminator_loss(real, generated):
            real_loss = loss_obj(tf.ones_like(real), real)

            generated_loss = loss_obj(tf.zeros_like(generated), generated)

            total_disc_loss = real_loss + generated_loss

            return total_disc_loss * 0.5
        """,
    ),
    md(
        "gen-explain",
        r"""
        ### The generator's loss

        In the objective, G minimises $\log(1 - D_Y(G(x)))$. Early in training D_Y rejects
        the fakes easily, $D_Y(G(x)) \approx 0$, and there that curve is almost flat: G
        would learn least just when it has most to learn. So GANs, since Goodfellow et al.,
        turn it around: G *maximises* $\log D_Y(G(x))$ instead, which is the cross-entropy
        of the discriminator's logits on the fakes against label 1, "call my fakes real".
        The goal is the same; the push is strong exactly when G is losing. By hand:
        """,
    ),
    checked(
        "gen-by-hand",
        """
        undecided = tf.zeros([2, 2])  # logit 0: sigmoid(0) = 0.5, D cannot tell
        for name, logits, by_hand in [
            ("D says fake", says_fake, "ln(1 + e^3)"),
            ("D is undecided", undecided, "ln 2"),
            ("D says real", says_real, "ln(1 + e^-3)"),
        ]:
            print(f"G when {name + ':':15s} {float(losses.generator_loss(logits)):.4f} = {by_hand}")
        """,
    ),
    *exercise(
        "ex-gen",
        """
        ### Exercise 2: write `generator_loss`

        `generated` holds a discriminator's logits on a generator's fakes. Return
        `loss_obj` of those logits against the label the generator wants them to get.
        """,
        """
        def generator_loss(generated):
            # your code here
            ...
        """,
        "exercises.check_generator_loss(generator_loss)",
        """
        def generator_loss(generated):
            return loss_obj(tf.ones_like(generated), generated)
        """,
    ),
    md(
        "cycle-explain",
        r"""
        ## Cycle consistency in code

        ![the two round trips: x → G(x) → F(G(x)) ≈ x and y → F(y) → G(F(y)) ≈ y](https://raw.githubusercontent.com/cyclegan-lesson/cyclegan-lesson/main/img/cycle.png)

        The tutorial writes the two round trips as

        - forward: $x \rightarrow G(x) \rightarrow F(G(x)) \approx x$,
        - backward: $y \rightarrow F(y) \rightarrow G(F(y)) \approx y$,

        and measures each with one function: `calc_cycle_loss(real_image, cycled_image)` is
        `LAMBDA` times the mean absolute difference of the two images. The training step
        calls it twice, on `real_x` and $F(G(x))$ and on `real_y` and $G(F(y))$, and adds
        the sum to **both** generators' losses: G and F take part in both round trips.

        ## Identity in code

        Handed a zebra, G should give back that zebra, $G(y) \approx y$; handed a horse, F
        should give back the horse, $F(x) \approx x$. Without this term, nothing stops the
        generators from changing the colours of a whole image when there is no need: the
        paper added it for paintings ↔ photos, where a generator liked to turn Monet's
        daylight scenes into photographs at sunset. `identity_loss(real_image, same_image)`
        is `LAMBDA * 0.5` times the mean absolute difference; each generator gets its own,
        G `identity_loss(real_y, same_y)` with `same_y` = $G(y)$, F
        `identity_loss(real_x, same_x)` with `same_x` = $F(x)$.

        Both, by hand, with the package's `losses.cycle_loss` and `losses.identity_loss`
        (whose default weight is the package's λ, 10):
        """,
    ),
    checked(
        "l1-by-hand",
        """
        x = tf.constant([[0.0, 1.0], [-1.0, 0.5]])  # a tiny "image"
        x_hat = tf.constant([[0.5, 1.0], [0.0, 0.0]])  # what came back from the round trip
        # |x - x_hat| = 0.5, 0, 1, 0.5: mean 2 / 4 = 0.5
        print(f"mean |x - x_hat|:              {float(tf.reduce_mean(tf.abs(x - x_hat))):.4f}")
        print(f"cycle loss, 10 * 0.5:          {float(losses.cycle_loss(x, x_hat)):.4f}")
        print(f"identity loss, 10 * 0.5 * 0.5: {float(losses.identity_loss(x, x_hat)):.4f}")
        """,
    ),
    *exercise(
        "ex-cycle",
        """
        ### Exercise 3: write `calc_cycle_loss`

        Return `LAMBDA` times the mean (`tf.reduce_mean`) absolute difference (`tf.abs`)
        of `real_image` and `cycled_image`.
        """,
        """
        def calc_cycle_loss(real_image, cycled_image):
            # your code here
            ...
        """,
        "exercises.check_cycle_loss(calc_cycle_loss)",
        """
        def calc_cycle_loss(real_image, cycled_image):
            loss1 = tf.reduce_mean(tf.abs(real_image - cycled_image))

            return LAMBDA * loss1
        """,
    ),
    *exercise(
        "ex-identity",
        """
        ### Exercise 4: write `identity_loss`

        `same_image` is what a generator made of `real_image`, an image already in its
        target domain. Return the mean absolute difference of the two, weighted
        `LAMBDA * 0.5`.
        """,
        """
        def identity_loss(real_image, same_image):
            # your code here
            ...
        """,
        "exercises.check_identity_loss(identity_loss)",
        """
        def identity_loss(real_image, same_image):
            loss = tf.reduce_mean(tf.abs(real_image - same_image))
            return LAMBDA * 0.5 * loss
        """,
    ),
    md(
        "agree-intro",
        """
        ## Your four losses and the package's

        The package's `cyclegan_lesson.losses` has the same four losses, and the training in
        notebook 04 uses them; with `kind="bce"` the adversarial ones are the tutorial's.
        On fixed inputs, your functions (or the solutions, if you ran them) and the
        package's give the same numbers:
        """,
    ),
    checked(
        "agree",
        """
        real_logits = tf.constant([[2.0, -1.0], [0.5, 3.0]])
        fake_logits = tf.constant([[-2.0, 1.0], [0.0, -0.5]])
        pairs = [
            (
                "discriminator_loss",
                discriminator_loss(real_logits, fake_logits),
                losses.discriminator_loss(real_logits, fake_logits, "bce"),
            ),
            (
                "generator_loss",
                generator_loss(fake_logits),
                losses.generator_loss(fake_logits, "bce"),
            ),
            ("calc_cycle_loss", calc_cycle_loss(x, x_hat), losses.cycle_loss(x, x_hat)),
            ("identity_loss", identity_loss(x, x_hat), losses.identity_loss(x, x_hat)),
        ]
        for name, yours, package in pairs:
            if yours is None:
                print(f"{name:18s} not written yet  package {float(package):.4f}")
            else:
                same = np.isclose(float(yours), float(package), atol=1e-6)
                print(f"{name:18s} yours {float(yours):.4f}  package {float(package):.4f}", end="")
                print(f"  same: {same}")
        """,
    ),
    md(
        "change-explain",
        r"""
        ## The demo's fifth term: a price on change

        The identity loss asks G to leave a *zebra* alone. Nothing in the tutorial's
        objective asks G to leave alone the parts of a *horse's* scene that are not the
        horse: the sky, the grass. On the toy data, G learns to paint a faint texture of
        stripes over the whole scene, sky and grass included: nothing in the tutorial's
        losses charges for it, and the cycle loss does not object as long as F can wipe it
        off again.

        The demo profile therefore charges each generator for every pixel it changes, G on
        the horses x and F on the zebras y:

        $$
        \mathcal{L}_{\text{change}}(G, F) = \lambda_{\text{change}}
        \Big(\mathbb{E}_{x}\big[\lVert G(x) - x \rVert_1\big]
        + \mathbb{E}_{y}\big[\lVert F(y) - y \rVert_1\big]\Big)
        $$

        with the mean absolute difference per pixel, as in the other L1 terms. The demo
        trains on the objective above plus this term; G pays the first half and F the
        second, as with the identity term. It is the self-regularisation loss of SimGAN
        (Shrivastava et al. 2017), which asked a refined image to stay close to its source.

        Its weight, 4, sets an exchange rate: a change is worth making only if it buys more
        realism from the discriminator than it costs. A zebra's coat on the horse buys a
        lot; a faint texture on the grass buys almost none, so it no longer pays. The
        tutorial and the paper have no such term (`lambda_change=0`); notebook 06 trains
        the demo without it and measures the difference. In the package it is
        `losses.change_loss`; by hand, with `x_hat` from above in the place of G(x):
        """,
    ),
    checked(
        "change-by-hand",
        """
        # mean |x - x_hat| = 0.5 (from above), so 4 * 0.5
        print(f"change loss, 4 * 0.5: {float(losses.change_loss(x, x_hat, weight=4.0)):.4f}")
        """,
    ),
    code(
        "profile-change",
        'print(f"this profile\'s change price: lambda_change = {config.lambda_change}")',
    ),
    md(
        "lsgan-explain",
        r"""
        ## Cross-entropy or least squares?

        The tutorial's adversarial losses are binary cross-entropy. The paper uses **least
        squares** instead, from LSGAN (Mao et al. 2017): the discriminator outputs a plain
        number (no sigmoid), pushed towards 1 on real images and 0 on fakes by squared
        errors, and the generator pushes the output on its fakes towards 1:

        $$
        \mathcal{L}_{D_Y} = \tfrac{1}{2}\,\mathbb{E}_{y}\big[(D_Y(y) - 1)^2\big]
        + \tfrac{1}{2}\,\mathbb{E}_{x}\big[D_Y(G(x))^2\big],
        \qquad
        \mathcal{L}_{G} = \mathbb{E}_{x}\big[(D_Y(G(x)) - 1)^2\big]
        $$

        In the package it is `kind="lsgan"`. By hand:
        """,
    ),
    checked(
        "lsgan-by-hand",
        """
        on_real, on_fake = tf.constant([0.5, 1.5]), tf.constant([0.2, 0.6])  # D's outputs
        # D: 0.5 * (mean((0.5-1)^2, (1.5-1)^2) + mean(0.2^2, 0.6^2)) = 0.5 * (0.25 + 0.2)
        disc = losses.discriminator_loss(on_real, on_fake, "lsgan")
        print(f"LSGAN discriminator: {float(disc):.4f}")
        # G: mean((0.2-1)^2, (0.6-1)^2) = mean(0.64, 0.16)
        print(f"LSGAN generator:     {float(losses.generator_loss(on_fake, 'lsgan')):.4f}")
        """,
    ),
    md(
        "curves-intro",
        """
        The difference shows best in a picture: each **generator** loss over what the
        discriminator says about one fake (the logit for BCE, the plain output for LSGAN).
        The dashed line is its slope: the steeper the loss, the harder training pushes the
        generator downhill, towards "real".
        """,
    ),
    code(
        "curves",
        """
        logits = np.linspace(-5, 5, 101)  # BCE: D's logit on a fake
        outputs = np.linspace(-1, 2.5, 101)  # LSGAN: D's output on a fake
        bce = np.array([float(losses.generator_loss(tf.constant([v]), "bce")) for v in logits])
        lsq = np.array([float(losses.generator_loss(tf.constant([v]), "lsgan")) for v in outputs])

        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
        for ax, d, loss, title in [
            (left, logits, bce, "BCE (the tutorial)"),
            (right, outputs, lsq, "LSGAN (the paper)"),
        ]:
            ax.plot(d, loss, label="generator loss")
            ax.plot(d, np.gradient(loss, d), "--", label="its slope")
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_title(title)
            ax.legend(fontsize=8)
        left.set_xlabel("D's logit on a fake  (fake ← → real)")
        right.set_xlabel("D's output on a fake  (target 1)")
        plt.show()
        """,
    ),
    md(
        "why-lsgan",
        """
        Read the BCE curve from right to left. Where D calls a fake real with confidence
        (large logits) the loss is flat and the slope near 0: the generator gets almost no
        push, however far that fake may still be from real zebras. This is BCE's
        **saturation**. Its push grows only as D rejects the fake, so a generator and its
        discriminator can chase each other back and forth.

        The least-squares curve flattens only at its target: its slope, 2 (D(G(x)) − 1), is
        proportional to the distance from the target 1, and it even pushes back fakes that
        overshoot it. Fakes that already pass, but only just, are still pulled towards
        where real images sit. Mao et al. found that this gives steadier training and fewer
        vanishing gradients, and the CycleGAN paper adopted it for all its results,
        reporting more stable training and better images.

        Which one does this profile train with?
        """,
    ),
    code("profile-loss", 'print(f"adversarial loss of this profile: {config.loss!r}")'),
    md(
        "profile-loss-note",
        """
        The demo profile trains with `"lsgan"`, as the paper does; the `tutorial` profile
        with `"bce"`, as the tutorial. Your four functions are the tutorial's; the package's
        with `kind=config.loss` are what notebook 04 trains with.

        ## The losses on real images

        Now every term, on one real horse and one real zebra, with the untrained networks
        built above and this profile's adversarial loss. First the forward pass of the
        training step, the six images it makes:
        """,
    ),
    code(
        "real-forward",
        """
        g, f = nets["generator_g"], nets["generator_f"]
        d_x, d_y = nets["discriminator_x"], nets["discriminator_y"]
        real_x, real_y = horses[:1], zebras[:1]

        fake_y, fake_x = g(real_x), f(real_y)  # G(x), F(y)
        cycled_x, cycled_y = f(fake_y), g(fake_x)  # F(G(x)), G(F(y))
        same_x, same_y = f(real_x), g(real_y)  # F(x), G(y)
        """,
    ),
    code(
        "real-losses",
        """
        kind = config.loss
        adv_g = losses.generator_loss(d_y(fake_y), kind)  # G wants D_Y to call G(x) real
        adv_f = losses.generator_loss(d_x(fake_x), kind)  # F wants D_X to call F(y) real
        cycle = losses.cycle_loss(real_x, cycled_x) + losses.cycle_loss(real_y, cycled_y)
        id_g, id_f = losses.identity_loss(real_y, same_y), losses.identity_loss(real_x, same_x)
        w = config.lambda_change  # 0 turns the change price off
        change_g = losses.change_loss(real_x, fake_y, weight=w)  # G(x) vs x
        change_f = losses.change_loss(real_y, fake_x, weight=w)  # F(y) vs y
        terms = [
            ("G adversarial (D_Y on G(x))", adv_g),
            ("F adversarial (D_X on F(y))", adv_f),
            ("cycle, both round trips", cycle),
            ("G identity, G(y) vs y", id_g),
            ("F identity, F(x) vs x", id_f),
            ("G change price, G(x) vs x", change_g),
            ("F change price, F(y) vs y", change_f),
            ("G total", adv_g + cycle + id_g + change_g),
            ("F total", adv_f + cycle + id_f + change_f),
            ("D_X", losses.discriminator_loss(d_x(real_x), d_x(fake_x), kind)),
            ("D_Y", losses.discriminator_loss(d_y(real_y), d_y(fake_y), kind)),
        ]
        for name, value in terms:
            print(f"{name:28s} {float(value):7.3f}")
        """,
    ),
    md(
        "real-losses-note",
        """
        The weighted cycle and identity terms dominate the generators' totals at the start:
        λ = 10 makes every bit of a failed round trip expensive. The cycle row is in both
        totals: the training step adds it to G's loss and to F's, since both take part in
        both round trips.

        The change price (0 on a profile without it) is about 4 × mean |x| for G and
        4 × mean |y| for F for now, since an untrained generator answers about 0 (grey)
        whatever it is shown: G's change price / 4 is about F's identity / 5, as both
        compare x with an output of about 0. Once G keeps the background, it pays only for
        the stripes it paints.

        The adversarial terms and the discriminators' losses only reflect an untrained
        discriminator's arbitrary outputs for now. With BCE they would sit near
        ln 2 ≈ 0.69, where a discriminator that cannot tell real from fake puts them. With
        LSGAN, a discriminator that answers 0.5 to everything gives 0.25 for both G's loss
        and its own; one that answers about 0 gives G about 1 and itself about 0.5. They
        start to mean something once the discriminators learn (here they judge this
        step's fakes; notebook 04's image pool changes which fakes they see). Training, in
        notebook 04, pushes the generators' totals down while the discriminators push
        back.

        The six images, at plain contrast 1:
        """,
    ),
    code(
        "real-picture",
        """
        show_rows(
            [[real_x[0], fake_y[0], cycled_x[0]], [real_y[0], fake_x[0], cycled_y[0]]],
            [["x", "G(x)", "F(G(x))"], ["y", "F(y)", "G(F(y))"]],
        )
        """,
    ),
    md(
        "real-picture-note",
        """
        The untrained generators' outputs are close to 0, which shows as plain grey. That is
        why each round trip costs about what "F answers grey" cost in the lazy-translator
        experiment (the cycle term printed above is the sum of both round trips). Notebook
        02 stretched the same outputs with a contrast slider to show the faint structure
        inside them; here the pictures are shown as they are, at contrast 1.
        """,
    ),
    *footer(
        [
            "CycleGAN's objective: an adversarial term for each direction, plus λ times the "
            "cycle loss, plus 0.5 λ times the identity loss (λ = 10); the generators "
            "minimise it, the discriminators maximise their terms.",
            "The adversarial loss alone asks only for *some* zebra: a generator that answers "
            "every horse with the same real zebra fools any discriminator, but no F can undo "
            "it, so its cycle loss stays high.",
            "The tutorial's four losses are a few lines each around one "
            "`BinaryCrossentropy(from_logits=True)`: the discriminator's halved, the "
            "generator's against label 1, the cycle loss `LAMBDA` × mean L1, the identity "
            "loss `LAMBDA * 0.5` × mean L1.",
            "LSGAN swaps cross-entropy for squared errors, whose push on a fake never dies "
            "out; the paper and the demo profile use it.",
            "The demo adds one term to the tutorial's: the change price, 4 × mean |G(x) − x| "
            "for G and 4 × mean |F(y) − y| for F (the tutorial and the paper: 0), so that G "
            "repaints the horse and leaves the grass.",
        ],
        """
        Each of these runs as written, after the cells above.

        1. How does λ scale the cycle loss? Compare `float(losses.cycle_loss(x, x_hat,
           lam=1.0))` with the 5.0 above.
        2. Plot the LSGAN **discriminator** loss, for one output on a real image and for one
           on a fake:

           ```python
           d = np.linspace(-1, 2, 61)
           one, zero = tf.ones([1]), tf.zeros([1])
           on_real = [float(losses.discriminator_loss([v], zero, "lsgan")) for v in d]
           on_fake = [float(losses.discriminator_loss(one, [v], "lsgan")) for v in d]
           plt.plot(d, on_real, label="D's output on a real image")
           plt.plot(d, on_fake, label="D's output on a fake")
           plt.legend()
           plt.show()
           ```

           Where is each one smallest? Compare them with the generator's curve above.
        3. Saturation in numbers: the push each generator loss gives a fake that the
           discriminator already rates far on the "real" side (8):

           ```python
           v = tf.Variable([8.0])
           for kind in ("bce", "lsgan"):
               with tf.GradientTape() as tape:
                   loss = losses.generator_loss(v, kind)
               print(kind, float(loss), float(tape.gradient(loss, v)[0]))
           ```
        4. Give the lazy translator's F the per-pixel **mean** of the horses instead of the
           median: `float(losses.cycle_loss(horses, tf.reduce_mean(horses, 0,
           keepdims=True)))`. Is it better or worse than the median, and why?
        5. The same untrained networks, judged with each adversarial loss: which numbers
           depend on the choice, and which stay?

           ```python
           for kind in ("bce", "lsgan"):
               adv = losses.generator_loss(d_y(fake_y), kind)
               disc = losses.discriminator_loss(d_y(real_y), d_y(fake_y), kind)
               print(f"{kind}: G adversarial {float(adv):.3f}, D_Y {float(disc):.3f}")
           ```
        6. What does the lazy G pay in change price, and what would a G that changes
           nothing pay? Which of the two would the discriminator let pass?

           ```python
           w = config.lambda_change or 4.0  # the demo's weight, on any profile
           print(float(losses.change_loss(horses, lazy_g, weight=w)))
           print(float(losses.change_loss(horses, horses, weight=w)))
           ```
        """,
        [PAPER, TUTORIAL, GAN, LSGAN, SELF_REG, PIX2PIX, AUTHORS_CODE],
        "04_training",
    ),
]

if __name__ == "__main__":
    print(save(NAME, cells))
