"""Build notebooks/05_inference.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    AUTHORS_CODE,
    LSGAN,
    PAPER,
    PIX2PIX,
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

NAME = "05_inference"

LIMITATIONS = (
    "The paper's own *Limitations and Discussion* (its Section 6, with the failure cases of "
    "its Figure 17: dog → cat, the striped rider): https://arxiv.org/abs/1703.10593"
)
FID = (
    "Heusel et al. (2017), *GANs Trained by a Two Time-Scale Update Rule Converge to a Local "
    "Nash Equilibrium* (FID, the usual score on real photos): https://arxiv.org/abs/1706.08500"
)
KID = (
    "Bińkowski et al. (2018), *Demystifying MMD GANs* (KID, which `evaluate` adds with local "
    "InceptionV3 weights): https://arxiv.org/abs/1801.01401"
)

cells = [
    *header(
        NAME,
        "05 · Inference and evaluation: using the generators, and measuring them",
        [
            "how to load a trained run and translate test images both ways, with the "
            "tutorial's `generate_images` and with the reconstructions the cycle loss asks for;",
            "how the network's numbers become pixels: `* 0.5 + 0.5` to show, uint8 to save;",
            "what each number of the evaluation measures, why a perfect translation does not "
            "score 1.0, and what the numbers cannot see;",
            "how to translate your own images, resized or at their own size, and export the "
            "generators for use outside this lesson;",
            "what CycleGAN cannot do, and where it should not be used.",
        ],
        intro="""
        Notebook 04 trained G (horses X → zebras Y) and F (zebras → horses). Now we use them,
        and ask the question every trained model must answer: how good is it, in numbers?
        """,
    ),
    *setup(),
    *profile(),
    md(
        "load-intro",
        """
        ## Load the trained run

        A run folder (`config.output_dir`) holds the run's settings (`config.json`) and its
        checkpoints. `inference.load_run` rebuilds the four networks from those settings and
        restores the newest checkpoint into them; the optimisers' state, which only training
        needs, stays on disk.

        If notebook 04 has not finished its run, the next cell trains it first, exactly as
        notebook 04 does. On a laptop CPU that takes a while (about ten to thirty minutes
        for the demo profile); run notebook 04 if you would rather watch it.
        """,
    ),
    code(
        "load",
        """
        from cyclegan_lesson import data, evaluation, exercises, inference, toy, viz
        from cyclegan_lesson.training import run_status, train

        status = run_status(config.output_dir)
        if not status["finished"]:
            print(f"{config.output_dir} has not finished training (epoch {status['epoch']}).")
            train(config)
        run = inference.load_run(config.output_dir)
        print("restored", run.checkpoint)
        """,
    ),
    md(
        "checkpoints-intro",
        """
        The number in a checkpoint's name is the training step at which it was saved (the
        tutorial's manager in notebook 04 numbers its checkpoints 1, 2, 3, ... instead). Like
        the tutorial's `tf.train.CheckpointManager(..., max_to_keep=5)`, the run keeps only
        its five newest checkpoints; `load_run(..., checkpoint=path)` restores any of them
        (an exercise at the end scores an earlier one).
        """,
    ),
    code(
        "checkpoints",
        """
        kept = tf.train.get_checkpoint_state(f"{config.output_dir}/checkpoints")
        print("checkpoints kept:", [os.path.basename(p) for p in kept.all_model_checkpoint_paths])
        """,
    ),
    md(
        "domains-intro",
        """
        The test images, with the run's own settings. The tutorial calls its test sets
        `test_horses` and `test_zebras`, batches of one image; the package batches them by
        `batch_size` and keeps them in a fixed order, so we unbatch and rebatch by one.
        """,
    ),
    code(
        "domains",
        """
        domains = data.load_domains(run.config)
        test_horses = domains.test_a.unbatch().batch(1)  # X
        test_zebras = domains.test_b.unbatch().batch(1)  # Y
        print(domains.counts["testA"], "test horses,", domains.counts["testB"], "test zebras")
        """,
    ),
    md(
        "seed-intro",
        """
        ## The tutorial's look at the test set

        The tutorial ends with `generate_images`: run a generator on one image and show the
        input next to the prediction. Here it is, as the tutorial writes it (only the figure
        is smaller):
        """,
    ),
    code(
        "generate-images",
        """
        def generate_images(model, test_input):
            prediction = model(test_input)

            plt.figure(figsize=(6, 3))  # the tutorial: (12, 12)

            display_list = [test_input[0], prediction[0]]
            title = ["Input Image", "Predicted Image"]

            for i in range(2):
                plt.subplot(1, 2, i + 1)
                plt.title(title[i])
                # getting the pixel values between [0, 1] to plot it.
                plt.imshow(display_list[i] * 0.5 + 0.5)
                plt.axis("off")
            plt.show()
        """,
    ),
    md(
        "seed-run",
        """
        The tutorial runs it on five test horses; two are enough here:
        """,
    ),
    code(
        "seed-run-horses",
        """
        # Run the trained model on the test dataset
        for inp in test_horses.take(2):
            generate_images(run.generator_g, inp)
        """,
    ),
    md(
        "display-intro",
        """
        The generators end in `tanh`, so a prediction lies in [-1, 1]; `imshow` wants floats
        in [0, 1]. `prediction * 0.5 + 0.5` maps one range onto the other: -1 becomes black
        (0), 0 mid-grey (0.5), 1 white (1). The package's pictures use `viz.to_display`, the
        same formula with a clip for values that stray outside the range:
        """,
    ),
    checked(
        "display-check",
        """
        values = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], np.float32)
        print("network output:", values)
        print("shown as:      ", values * 0.5 + 0.5)
        print("same as viz.to_display:", np.array_equal(values * 0.5 + 0.5, viz.to_display(values)))
        """,
    ),
    md(
        "grid-intro",
        """
        ## Both ways, with the reconstructions

        One picture says more than `generate_images` about a CycleGAN: both generators, and
        the round trip the cycle loss trains. On the left, x → G(x) → F(G(x)); on the right,
        y → F(y) → G(F(y)).
        """,
    ),
    code(
        "grid",
        """
        viz.translation_grid(run.generator_g, run.generator_f, domains, rows=3)
        """,
    ),
    md(
        "grid-read",
        """
        What to look for: in the second column, is the animal striped and the meadow left
        alone? In the third, does the horse come back, with its own colour? The round trip
        often comes back closer to x than G(x) looks like a zebra: F is trained to undo G,
        and it can use whatever traces of the horse G left behind. Keep that in mind when
        we measure it.

        ## Fade from the input to the translation

        A slider blends each horse into its zebra, `(1 - t) * x + t * G(x)`: move it slowly
        and watch which pixels change (the animal) and which do not (everything else).
        """,
    ),
    code(
        "blend-slider",
        """
        inputs = [x[0] for x in test_horses.take(4)]
        outputs = [run.generator_g(x[None], training=False)[0] for x in inputs]
        viz.blend_slider(inputs, outputs, value=0.5)
        """,
    ),
    md(
        "blend-static",
        """
        The slider needs a running notebook; here is the same fade as a still picture:
        """,
    ),
    code(
        "blend-strip",
        """
        steps = [0.0, 0.25, 0.5, 0.75, 1.0]
        pairs = zip(inputs[:2], outputs[:2], strict=True)
        fades = [[(1 - t) * x + t * y for t in steps] for x, y in pairs]
        viz.image_grid(fades, titles=[f"t = {t:g}" for t in steps], size=1.3)
        """,
    ),
    md(
        "uint8-intro",
        """
        ## From numbers to pixels you can save

        `* 0.5 + 0.5` is for the screen. An image file stores whole numbers from 0 to 255
        (`uint8`), so a translation is saved as `(x + 1) * 127.5`, rounded and clipped. Both
        steps matter. A cast to `uint8` *truncates* (200.7 becomes 200), which makes pixels
        half a grey level too dark on average. And a cast does not clip: a value just
        outside [-1, 1], which a blend or an edit can produce, comes out as nonsense, often
        from the other end of the scale.
        """,
    ),
    code(
        "uint8-demo",
        """
        pixel = np.float32(200.7)
        print("cast:", pixel.astype(np.uint8), " rounded first:", np.round(pixel).astype(np.uint8))
        """,
    ),
    *exercise(
        "ex-uint8",
        """
        ### Exercise 1: translations to `uint8` pixels

        Write `my_to_uint8(images)`: float images in [-1, 1] (any shape) → an `np.uint8`
        array in [0, 255], rounded, with anything outside [-1, 1] clipped to 0 or 255. The
        check compares it with the package's `data.to_uint8`, which every translation the
        package saves goes through.
        """,
        """
        def my_to_uint8(images):
            # your code here: scale to [0, 255], round, clip, cast
            ...
        """,
        "exercises.check_to_uint8(my_to_uint8)",
        """
        def my_to_uint8(images):
            pixels = np.round((np.asarray(images, np.float32) + 1.0) * 127.5)
            return np.clip(pixels, 0, 255).astype(np.uint8)
        """,
    ),
    md(
        "metrics-intro",
        """
        ## How good is it? The numbers

        A picture can fool us (and a few pictures are not the test set), so the package
        measures. `evaluation.evaluate(G, F, domains)` translates every test image both
        ways, as `uint8` images exactly like the ones you would save, and reports:

        - **domain score** (best: 1): the share of translations that a separate, small
          classifier (three convolutions, trained for three epochs on the real train images
          of X and Y) assigns to the target domain. It counts only when that classifier is
          right about at least 95% of the real test images; otherwise the table says "n/a".
        - **cycle L1** (best: 0): mean |x − F(G(x))|, how well the round trip comes back.
        - **identity L1** (best: 0): mean |y − G(y)|, how much G changes an image that
          already is a zebra (what the identity loss trains).
        - **paired background L1** (toy only, best: 0): mean |G(x) − x| outside the animal
          (widened by 2 pixels): was the scenery kept?
        - **paired silhouette IoU** (toy only, best: 1): did the animal keep its outline?
          (Below.)
        - **paired target look** (toy only, best: 1): the share of animals that came out
          with the target coat (striped for G, plain brown for F), by a simple colour test.

        L1 numbers are in the units of the [-1, 1] images: 0.01 is 0.01 × 127.5 ≈ 1.3 of
        255 grey levels. Each column is one direction, G: X → Y and F: Y → X.

        The **paired** numbers need something no real dataset has: for each test scene, the
        right answer. The toy dataset draws 100 extra scenes twice, with a plain horse and
        with a striped zebra in the very same pose on the very same meadow, and also knows
        each scene's empty background and the animal's mask. These pairs are never trained
        on; they exist only to score.

        The **silhouette** of an animal is found the same way in any image of a scene: the
        pixels that differ from the scene's empty background by more than 0.15 (in [0, 1]
        units) in some channel. The silhouette IoU compares the animal found in x with the
        one found in G(x): the **intersection over union**, the pixels in both divided by
        the pixels in either, 1.0 when the outlines agree exactly.
        """,
    ),
    *exercise(
        "ex-iou",
        """
        ### Exercise 2: intersection over union

        Write `my_iou(a, b)`: two boolean masks of the same shape → their IoU, |a ∩ b| / |a
        ∪ b|, as a float. Two empty masks agree perfectly: return 1.0 for them (instead of
        dividing 0 by 0). `np.logical_and`, `np.logical_or` and `.sum()` are all you need.
        """,
        """
        def my_iou(a, b):
            # your code here
            ...
        """,
        "exercises.check_iou(my_iou)",
        """
        def my_iou(a, b):
            union = np.logical_or(a, b).sum()
            if union == 0:
                return 1.0
            return float(np.logical_and(a, b).sum() / union)
        """,
    ),
    md(
        "handmade-intro",
        """
        ### Three translations we can score by hand

        Before trusting the numbers on our generators, try them on translations whose
        quality we know: the **perfect** one (each scene's own zebra), a **lazy** one that
        returns the horse unchanged, and a **wrong** one that returns a good zebra from
        another scene. `toy.make_paired` draws the scenes; `evaluation.paired_metrics`
        scores them.
        """,
    ),
    checked(
        "handmade",
        """
        x, y, masks, empty = toy.make_paired(128, count=20, background=True)
        candidates = {
            "perfect: the scene's own zebra": y,
            "lazy: the horse unchanged": x,
            "wrong: another scene's zebra": np.roll(y, 1, axis=0),
        }
        print(f"{'G(x) is':<32}{'background L1':>15}{'IoU':>7}{'target look':>13}")
        for name, fake in candidates.items():
            m = evaluation.paired_metrics(x, fake, masks, empty, "striped")
            print(
                f"{name:<32}{m['background_l1']:>15.3f}{m['silhouette_iou']:>7.3f}"
                f"{m['target_look']:>13.3f}"
            )
        """,
    ),
    md(
        "handmade-read",
        """
        Three lessons in three lines:

        - **No single number is enough.** The lazy translation keeps the background and the
          outline perfectly; its cycle and identity L1 would be perfect too (0: nothing
          changes, so nothing is lost). Only the target look, and the domain score, see that
          it did not translate at all. The wrong zebra is a real zebra, so the domain
          classifier would pass it; the background and the outline give it away.
        - **The perfect translation scores 0.94, not 1.0**, on silhouette IoU. Why, below.
        - The target look is a coarse test: it looks for black and white inside the horse's
          mask, so even another scene's zebra passes where the two animals overlap enough.

        ### Why the perfect translation does not score 1.0

        The toy draws each outline anti-aliased: an edge pixel mixes the coat with the
        background. Against green grass or a blue sky, a half-covered pixel of brown coat
        often stays under the 0.15 threshold, while black and white stripes push it over. So
        the same animal is found a little fatter as a zebra than as a horse, about one pixel
        ring, and the IoU of the perfect translation falls short of 1. (White: both
        silhouettes; orange: only one.)
        """,
    ),
    code(
        "silhouettes-picture",
        """
        def agreement(first, second):
            \"\"\"Two silhouettes as one picture: white in both, orange in only one.\"\"\"
            picture = np.zeros((*first.shape, 3))
            picture[first & second] = 1.0
            picture[first ^ second] = (1.0, 0.55, 0.0)
            return picture


        x64, y64, _, empty64 = toy.make_paired(64, count=1, background=True)
        horse = evaluation.silhouette(x64[0], empty64[0])
        zebra = evaluation.silhouette(y64[0], empty64[0])
        fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.6))
        pictures = [x64[0], y64[0], agreement(horse, zebra)]
        score = evaluation.iou(horse, zebra)
        titles = ["x", "y, the perfect G(x)", f"silhouettes: IoU {score:.2f}"]
        for ax, picture, title in zip(axes, pictures, titles, strict=True):
            ax.imshow(picture)
            ax.set_title(title)
            ax.axis("off")
        """,
    ),
    md(
        "ceiling-intro",
        """
        The ring is about one pixel wide at any size, so its share of the animal shrinks as
        the image grows: the best possible IoU depends on the image size.
        """,
    ),
    checked(
        "ceiling",
        """
        for size in (32, 64, 128):
            x_s, y_s, masks_s, empty_s = toy.make_paired(size, count=20, background=True)
            best = evaluation.paired_metrics(x_s, y_s, masks_s, empty_s, "striped")
            print(f"{size:>4} px: a perfect translation scores IoU {best['silhouette_iou']:.3f}")
        """,
    ),
    md(
        "evaluate-intro",
        """
        ### Our generators

        Now the real thing. The table shows the numbers explained above (the package also
        prints three more paired rows, which break a low IoU down into its causes; notebook
        06 uses them). KID, the last line, compares the translations with real images
        through a pretrained InceptionV3 network; the package never downloads weights, so it
        is computed only when you pass a local weights file (`inception_weights=...`). This
        cell trains the small classifier too, so it takes a little while.
        """,
    ),
    code(
        "evaluate",
        """
        EXPLAINED = ("background_l1", "silhouette_iou", "target_look")


        def explained_rows(result):
            \"\"\"The evaluation with only the paired numbers this notebook explains.\"\"\"
            if "paired" not in result:  # not the toy dataset: no paired scenes
                return result
            paired = {d: {k: result["paired"][d][k] for k in EXPLAINED} for d in ("a2b", "b2a")}
            return {**result, "paired": {**result["paired"], **paired}}


        result = evaluation.evaluate(run.generator_g, run.generator_f, domains)
        print(evaluation.format_table(explained_rows(result)))
        """,
    ),
    md(
        "ceiling-here-intro",
        """
        How close is our IoU to the best this image size allows? The evaluation's own 100
        paired scenes, with their perfect translation (IoU does not care which silhouette
        comes first, so the best is the same for F):
        """,
    ),
    code(
        "ceiling-here",
        """
        paired = run.config.dataset == "toy"
        if paired:
            size = run.config.image_size
            x, y, masks, empty = toy.make_paired(size, run.config.seed, background=True)
            best = evaluation.paired_metrics(x, y, masks, empty, "striped")["silhouette_iou"]
            g, f = (result["paired"][d]["silhouette_iou"] for d in ("a2b", "b2a"))
            print(f"at {size} px a perfect translation scores IoU {best:.3f}, either way")
            print(f"G: {g:.3f} ({g / best:.0%} of that), F: {f:.3f} ({f / best:.0%})")
        """,
    ),
    md(
        "worst-intro",
        """
        A mean hides its worst cases. Score each scene on its own and look at the three where
        G kept the outline worst:
        """,
    ),
    code(
        "worst",
        """
        if paired:
            fakes = inference.translate(run.generator_g, x)  # uint8, as saved
            in_x = [evaluation.silhouette(a, e) for a, e in zip(x, empty, strict=True)]
            in_fake = [evaluation.silhouette(a, e) for a, e in zip(fakes, empty, strict=True)]
            scores = np.array([evaluation.iou(a, b) for a, b in zip(in_x, in_fake, strict=True)])
            fig, axes = plt.subplots(3, 4, figsize=(7.2, 5.6))
            for row, i in zip(axes, np.argsort(scores)[:3], strict=True):
                pictures = [x[i], fakes[i], y[i], agreement(in_x[i], in_fake[i])]
                titles = ["x", "G(x)", "the scene's zebra", f"IoU {scores[i]:.2f}"]
                for ax, picture, title in zip(row, pictures, titles, strict=True):
                    ax.imshow(picture)
                    ax.set_title(title)
                    ax.axis("off")
        """,
    ),
    md(
        "saturate",
        """
        ### What the numbers cannot see

        Every number above answers one narrow question, and several stop telling trained
        models apart long before the translations look right:

        - **The domain score saturates first.** A small classifier tells stripes from
          a plain coat easily, so it says 1.0 as soon as G paints stripes of any quality; it
          does not look at the background or the outline at all. It is a floor (G did change
          domains), not a grade.
        - **A low cycle L1 does not mean a good G(x).** It measures F as much as G, and the
          lazy translation scores a perfect 0. Worse, G can hide the input in its output as
          faint patterns we cannot see, which F reads to rebuild it: the round trip is then
          near perfect whatever G(x) looks like. Notebook 06 makes this visible.
        - **Identity L1 rewards doing nothing**, like the cycle L1: it is a check that G
          leaves zebras alone, not that it makes them.
        - **The target look is yes or no per image**, with coarse thresholds: it reaches 1.0
          while the stripes are still blotchy.
        - **The silhouette IoU has a ceiling below 1** (0.94 at 128 px), so compare it with
          the ceiling, not with 1.
        - **The paired numbers exist only on the toy.** On the real horse2zebra nobody knows
          what the right zebra is: there the domain score, the cycle and identity L1 and a
          distribution score such as FID or KID are all you have. For the authors'
          horse → zebra model, FID is about 62 (OpenMMLab's re-measurement; lower is
          better), and no number replaces looking at many translations, the worst ones
          included.

        ## Your own images

        `inference.translate_path(run, direction, source, output)` translates one image
        file or every image in a folder: `"a2b"` uses G, `"b2a"` F. Names are kept,
        unreadable files are skipped and listed. By default each image is **resized** to
        the size the generators were trained on, and the translation has that size too;
        with `native=True` the generator runs at the image's **own size** (padded by
        reflection to a size it accepts, then cropped back).

        Photos are rarely square. As stand-ins for yours, three toy horses cut to 120 × 160
        pixels go into `my_images/` (put your own pictures there instead):
        """,
    ),
    code(
        "my-images",
        """
        from PIL import Image

        os.makedirs("my_images", exist_ok=True)
        photos = toy.make_split("testA", 160, seed=2, count=3)[:, 40:]  # 120 x 160 each
        for i, photo in enumerate(photos):
            Image.fromarray(photo).save(f"my_images/photo_{i}.png")
        print(sorted(os.listdir("my_images")))
        """,
    ),
    code(
        "translate-folder",
        """
        resized = inference.translate_path(run, "a2b", "my_images", "my_zebras", progress=False)
        native = inference.translate_path(
            run, "a2b", "my_images", "my_zebras/native", native=True, progress=False
        )
        print("written:", [str(p) for p in resized.written + native.written])
        print("skipped:", resized.skipped)
        """,
    ),
    code(
        "translate-compare",
        """
        files = ["my_images/photo_0.png", "my_zebras/photo_0.png", "my_zebras/native/photo_0.png"]
        fig, axes = plt.subplots(1, 3, figsize=(8, 2.4))
        whats = ["your image", "resized", "native size"]
        for ax, file, what in zip(axes, files, whats, strict=True):
            image = data.read_image(file)
            ax.imshow(image)
            ax.set_title(f"{what}: {image.shape[0]} x {image.shape[1]}")
            ax.axis("off")
        """,
    ),
    md(
        "translate-read",
        """
        The resized translation is square: the photo was squeezed to the training size, and
        would have to be stretched back. The native one keeps the photo's shape and every
        pixel. Its limit is scale: a convolutional generator learned stripes of a certain
        width *in pixels*, so an animal far bigger or smaller (in pixels) than in training
        gets stripes that fit it badly. For large photos, resize them until the animal is
        about as big as in the training images, then translate at native size.

        ## Export and reload

        `inference.export` writes each generator twice: as a **SavedModel**, for TensorFlow
        Serving, TensorFlow.js or a Python program that does not know this package, and as a
        **`.keras`** file, to load back into Keras.
        """,
    ),
    code(
        "export",
        """
        paths = inference.export(run, "exported")
        for name, path in paths.items():
            print(f"{name:<24} {path}")
        """,
    ),
    md(
        "served-intro",
        """
        The SavedModel's `serving_default` signature does the whole job of this notebook in
        one call, inside the graph: `uint8` images of any batch and any size in, resized to
        the training size, translated, resized back to each input's size and rounded to
        `uint8` out. A program using it needs neither [-1, 1] nor `* 0.5 + 0.5`.
        """,
    ),
    checked(
        "served",
        """
        loaded = tf.saved_model.load("exported/generator_g_savedmodel")
        served = loaded.signatures["serving_default"]
        print(served.structured_input_signature[1])
        out = served(images=tf.zeros([2, 50, 70, 3], tf.uint8))["images"]
        print("2 images of 50 x 70 in ->", out.dtype.name, out.shape)
        """,
    ),
    md(
        "keras-reload",
        """
        The `.keras` file loads back as an ordinary Keras model. It translates as the run's
        G does (the two may differ by rounding, a grey level at most):
        """,
    ),
    code(
        "keras-load",
        """
        import keras

        reloaded = keras.models.load_model("exported/generator_g.keras")
        horse = next(iter(test_horses))
        difference = np.abs(
            data.to_uint8(reloaded(horse, training=False)).astype(int)
            - data.to_uint8(run.generator_g(horse, training=False))
        )
        print("largest difference, in grey levels:", difference.max())
        """,
    ),
    md(
        "cli",
        """
        ## The same from a terminal

        The package's command line does each of these jobs on a run folder. Run from the
        `notebooks/` folder, `runs/demo` is the run these notebooks trained (`python3 run.py
        demo` trains its own in the repository's `runs/demo`); for `--checkpoint`, pick one
        of the names printed above:

        ```bash
        cyclegan-lesson status --run runs/demo
        cyclegan-lesson grid --run runs/demo --output grid.png
        cyclegan-lesson translate --run runs/demo --direction a2b \\
            --input my_images --output my_zebras
        cyclegan-lesson translate --run runs/demo --direction a2b \\
            --input my_images --output my_zebras/native --native
        cyclegan-lesson evaluate --run runs/demo --json evaluation.json
        cyclegan-lesson evaluate --run runs/demo --checkpoint runs/demo/checkpoints/ckpt-750
        cyclegan-lesson export --run runs/demo --output exported
        ```

        `cyclegan-lesson COMMAND --help` lists every option.

        ## Limitations

        CycleGAN is good at one kind of change, and it is worth being honest about the rest.

        - **It changes appearance, not shape.** The generators repaint the input where it
          stands, and the cycle loss asks that the input can be recovered from the output.
          Colour and texture (stripes, seasons, painting styles) translate well; geometry
          does not. The paper tried dog → cat: the translation degenerated into minimal
          changes of the input. The toy is the friendliest case possible: its horses and
          zebras share exactly the same shapes.
        - **It learns the datasets, not the concept.** Whatever differs between the two
          collections is "the domain". The paper's horse → zebra model was trained on
          ImageNet's wild horses and zebras, with no riders; shown a person riding a horse,
          it striped the rider too. Zebra photos are mostly taken on the savanna, so a
          generator may also turn green grass yellow.
        - **There is a gap to paired training.** On Cityscapes labels → photos, the paper
          measured a per-pixel accuracy of 0.52 for CycleGAN against 0.71 for pix2pix,
          trained with pairs. When pairs exist, use them.
        - **One input, one output.** G is a deterministic function: it cannot offer a
          different zebra for the same horse.
        - **It makes convincing fakes.** A translated photo shows something that never
          happened. Say so when you publish one, do not pass it off as a record of events,
          and do not translate pictures of people without their consent.
        """,
    ),
    *footer(
        [
            "`inference.load_run` restores a run's generators from its newest checkpoint, or "
            "the one you name; `generate_images` and `viz.translation_grid` show them at work.",
            "The network's [-1, 1] becomes [0, 1] for the screen (`* 0.5 + 0.5`) and rounded, "
            "clipped `uint8` for files.",
            "`evaluation.evaluate` gives a domain score, cycle and identity L1 and, on the "
            "toy's paired scenes, background L1, silhouette IoU and target look; no single "
            "number is enough, and a do-nothing translation scores well on most.",
            "A perfect translation scores IoU below 1 (about one pixel ring of disagreement), "
            "and the domain score saturates early: compare with the ceiling and look at the "
            "worst cases.",
            "`translate_path` (resized or `native=True`) and `export` (SavedModel with a "
            "uint8 signature, and `.keras`) take the generators outside the notebook.",
        ],
        """
        Each of these runs as written, after the cells above.

        1. **Score an earlier checkpoint.** The oldest checkpoint the run kept is a few
           epochs older than the newest. Which numbers had already saturated then, and
           which still improved?

           ```python
           oldest = kept.all_model_checkpoint_paths[0]
           earlier = inference.load_run(config.output_dir, checkpoint=oldest)
           then = evaluation.evaluate(earlier.generator_g, earlier.generator_f, domains)
           print(oldest)
           print(evaluation.format_table(explained_rows(then)))
           ```

        2. **Translate a folder at native size, at other sizes.** Draw toy horses at 64 and
           256 pixels and translate them at their own size: do the stripes follow the
           pixels or the animal?

           ```python
           os.makedirs("my_images/sizes", exist_ok=True)
           for size in (64, 256):
               horse = toy.make_split("testA", size, seed=3, count=1)[0]
               Image.fromarray(horse).save(f"my_images/sizes/horse_{size}.png")
           inference.translate_path(run, "a2b", "my_images/sizes", "my_zebras/sizes", native=True)
           fig, axes = plt.subplots(1, 2, figsize=(6, 3))
           for ax, size in zip(axes, (64, 256), strict=True):
               ax.imshow(data.read_image(f"my_zebras/sizes/horse_{size}.png"))
               ax.set_title(f"{size} px")
           ```

        3. **Score the lazy generator on the test sets.** A "generator" that returns its
           input: which numbers call it perfect?

           ```python
           def lazy(images, training=False):
               return images

           print(evaluation.format_table(explained_rows(evaluation.evaluate(lazy, lazy, domains))))
           ```

        4. **The worst zebras turned back.** Score F on the paired zebras `y` as the
           worst-cases cell scored G on the horses: is F better at outlines than G? (Draw
           its three worst as that cell does.)

           ```python
           if paired:  # the toy's paired scenes only
               back = inference.translate(run.generator_f, y)
               in_y = [evaluation.silhouette(a, e) for a, e in zip(y, empty, strict=True)]
               in_back = [evaluation.silhouette(a, e) for a, e in zip(back, empty, strict=True)]
               pairs = zip(in_y, in_back, strict=True)
               scores_f = np.array([evaluation.iou(a, b) for a, b in pairs])
               print("worst IoUs of F:", np.sort(scores_f)[:3].round(2))
               print("worst IoUs of G:", np.sort(scores)[:3].round(2))
           ```
        """,
        [
            PAPER,
            LIMITATIONS,
            TUTORIAL,
            PIX2PIX,
            STEGANOGRAPHY
            + " (why a near-perfect round trip can hide the input in the output: notebook 06)",
            AUTHORS_CODE,
            LSGAN + " (the demo run's adversarial loss)",
            POOL + " (the demo run keeps a pool of 50)",
            FID,
            KID,
        ],
        "06_experiments",
    ),
]

if __name__ == "__main__":
    print(save(NAME, cells))
