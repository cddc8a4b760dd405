"""Build notebooks/04_training.ipynb (then run tools/execute_notebooks.py on it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbkit import (  # noqa: E402
    ADAM,
    AUTHORS_CODE,
    LSGAN,
    PAPER,
    PIX2PIX,
    POOL,
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

NAME = "04_training"

cells = [
    *header(
        NAME,
        "04 · Training: the tutorial's loop, then the package's",
        [
            "the tutorial's four optimisers and its checkpoint manager;",
            "one training step: ten network calls on a persistent tape, four gradients, four "
            "updates, written by you and checked against the package;",
            "the epoch loop with `generate_images`;",
            "the package's `train(config)`: the same step with a progress bar, previews, a "
            "history, checkpoints and resume;",
            "how to read a GAN's loss curves, and the paper's training options.",
        ],
    ),
    *setup(numpy=False),
    *profile(),
    md(
        "plan",
        """
        ## The tutorial's loop, piece by piece

        First the tutorial's code as it is, run for a few steps on this profile's data and
        networks. Then the package's `train`, which runs the same step for the whole
        training. The data and the networks come from notebooks 01 and 02:
        """,
    ),
    code(
        "data-models",
        """
        from cyclegan_lesson import data, exercises, models, viz

        domains = data.load_domains(config)
        train_horses, train_zebras = domains.train_a, domains.train_b
        sample_horse = next(iter(domains.test_a.unbatch().batch(1)))
        sample_zebra = next(iter(domains.test_b.unbatch().batch(1)))

        nets = models.build_models(config)
        generator_g, generator_f = nets["generator_g"], nets["generator_f"]
        discriminator_x, discriminator_y = nets["discriminator_x"], nets["discriminator_y"]
        print({name: models.count_params(net) for name, net in nets.items()})
        """,
    ),
    md(
        "losses",
        """
        The losses you wrote in notebook 03, as the tutorial has them (binary cross-entropy
        on the discriminators' logits; LAMBDA weighs the cycle and identity terms):
        """,
    ),
    code(
        "seed-losses",
        """
        LAMBDA = 10
        loss_obj = tf.keras.losses.BinaryCrossentropy(from_logits=True)


        def discriminator_loss(real, generated):
            real_loss = loss_obj(tf.ones_like(real), real)
            generated_loss = loss_obj(tf.zeros_like(generated), generated)
            total_disc_loss = real_loss + generated_loss
            return total_disc_loss * 0.5


        def generator_loss(generated):
            return loss_obj(tf.ones_like(generated), generated)


        def calc_cycle_loss(real_image, cycled_image):
            loss1 = tf.reduce_mean(tf.abs(real_image - cycled_image))
            return LAMBDA * loss1


        def identity_loss(real_image, same_image):
            loss = tf.reduce_mean(tf.abs(real_image - same_image))
            return LAMBDA * 0.5 * loss
        """,
    ),
    md(
        "optimizers",
        """
        ### Four optimisers

        Each network has its own Adam optimiser, with the paper's learning rate 2e-4 and
        β₁ = 0.5 (less momentum than Adam's default 0.9, which steadies GAN training).
        """,
    ),
    code(
        "seed-optimizers",
        """
        generator_g_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)
        generator_f_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)

        discriminator_x_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)
        discriminator_y_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)
        """,
    ),
    md(
        "checkpoints",
        """
        ### Checkpoints

        A `tf.train.Checkpoint` names everything that training changes: the four networks and
        the four optimisers (whose moment estimates are part of the state). A
        `CheckpointManager` writes numbered checkpoints into a folder and keeps the newest
        five. If the folder already holds one, the tutorial restores it, so that a stopped
        training goes on where it was. (This folder is the notebook's own; the package's run
        below keeps its checkpoints in its run folder.)
        """,
    ),
    code(
        "seed-checkpoint",
        """
        checkpoint_path = os.path.join(config.output_dir + "-tutorial-loop", "checkpoints")

        ckpt = tf.train.Checkpoint(
            generator_g=generator_g,
            generator_f=generator_f,
            discriminator_x=discriminator_x,
            discriminator_y=discriminator_y,
            generator_g_optimizer=generator_g_optimizer,
            generator_f_optimizer=generator_f_optimizer,
            discriminator_x_optimizer=discriminator_x_optimizer,
            discriminator_y_optimizer=discriminator_y_optimizer,
        )

        ckpt_manager = tf.train.CheckpointManager(ckpt, checkpoint_path, max_to_keep=5)

        # if a checkpoint exists, restore the latest checkpoint
        if ckpt_manager.latest_checkpoint:
            ckpt.restore(ckpt_manager.latest_checkpoint)
            print("Latest checkpoint restored!!")
        """,
    ),
    md(
        "step",
        r"""
        ### One training step

        A step takes one batch of horses `real_x` and one of zebras `real_y` and

        1. **runs the networks**: G(x) = `fake_y`, F(G(x)) = `cycled_x`; F(y) = `fake_x`,
           G(F(y)) = `cycled_y`; F(x) = `same_x` and G(y) = `same_y` for the identity loss;
           then D_X on `real_x` and `fake_x`, D_Y on `real_y` and `fake_y`;
        2. **computes the losses**: for G, its adversarial loss on D_Y(`fake_y`) + the
           total cycle loss (both round trips) + its identity loss on (`real_y`, `same_y`);
           for F the mirror image; each discriminator's loss on its real and fake outputs;
        3. **takes the gradients** of each network's loss with respect to its own weights;
        4. **applies** them with that network's optimiser.

        All ten calls run inside one `tf.GradientTape(persistent=True)`: a tape normally
        gives gradients once, and this step asks it four times. Each loss reaches back only
        into the networks it depends on: G's total does not care about D_X, so D_X's weights
        get nothing from it.
        """,
    ),
    *exercise(
        "ex-step",
        """
        ### Exercise 1 (the capstone): write the training step

        Write the tutorial's step up to its gradients, with the losses defined above. Take
        the four networks as arguments and return the four gradient lists, in the order G,
        F, D_X, D_Y. The check builds small networks of its own, runs your function and the
        package's `CycleGAN.tutorial_gradients` on the same weights and images, and compares
        every gradient.
        """,
        """
        def train_step_gradients(
            real_x, real_y, generator_g, generator_f, discriminator_x, discriminator_y
        ):
            # 1. inside tf.GradientTape(persistent=True): the ten network calls
            #    (training=True) and the six losses;
            # 2. outside it: one tape.gradient(...) per network, with respect to its
            #    trainable_variables;
            # 3. return (G's, F's, D_X's, D_Y's) gradients.
            ...
        """,
        "exercises.check_train_step(train_step_gradients)",
        """
        def train_step_gradients(
            real_x, real_y, generator_g, generator_f, discriminator_x, discriminator_y
        ):
            # persistent=True: the tape is used more than once to compute gradients
            with tf.GradientTape(persistent=True) as tape:
                # Generator G translates X -> Y; generator F translates Y -> X.
                fake_y = generator_g(real_x, training=True)
                cycled_x = generator_f(fake_y, training=True)

                fake_x = generator_f(real_y, training=True)
                cycled_y = generator_g(fake_x, training=True)

                # same_x and same_y are used for the identity loss.
                same_x = generator_f(real_x, training=True)
                same_y = generator_g(real_y, training=True)

                disc_real_x = discriminator_x(real_x, training=True)
                disc_real_y = discriminator_y(real_y, training=True)

                disc_fake_x = discriminator_x(fake_x, training=True)
                disc_fake_y = discriminator_y(fake_y, training=True)

                # the losses
                gen_g_loss = generator_loss(disc_fake_y)
                gen_f_loss = generator_loss(disc_fake_x)

                total_cycle_loss = calc_cycle_loss(real_x, cycled_x) + calc_cycle_loss(
                    real_y, cycled_y
                )

                # total generator loss = adversarial loss + cycle loss + identity loss
                total_gen_g_loss = gen_g_loss + total_cycle_loss + identity_loss(real_y, same_y)
                total_gen_f_loss = gen_f_loss + total_cycle_loss + identity_loss(real_x, same_x)

                disc_x_loss = discriminator_loss(disc_real_x, disc_fake_x)
                disc_y_loss = discriminator_loss(disc_real_y, disc_fake_y)

            # the gradients of each network's loss with respect to its own weights
            generator_g_gradients = tape.gradient(total_gen_g_loss, generator_g.trainable_variables)
            generator_f_gradients = tape.gradient(total_gen_f_loss, generator_f.trainable_variables)
            discriminator_x_gradients = tape.gradient(
                disc_x_loss, discriminator_x.trainable_variables
            )
            discriminator_y_gradients = tape.gradient(
                disc_y_loss, discriminator_y.trainable_variables
            )
            return (
                generator_g_gradients,
                generator_f_gradients,
                discriminator_x_gradients,
                discriminator_y_gradients,
            )
        """,
    ),
    md(
        "apply",
        """
        The rest of the tutorial's `train_step` hands each network's gradients to its
        optimiser. `@tf.function` compiles the step into a graph on its first call, which
        makes every later call faster.
        """,
    ),
    code(
        "seed-train-step",
        """
        @tf.function
        def train_step(real_x, real_y):
            (
                generator_g_gradients,
                generator_f_gradients,
                discriminator_x_gradients,
                discriminator_y_gradients,
            ) = train_step_gradients(
                real_x, real_y, generator_g, generator_f, discriminator_x, discriminator_y
            )

            # apply the gradients to the optimizer
            generator_g_optimizer.apply_gradients(
                zip(generator_g_gradients, generator_g.trainable_variables)
            )
            generator_f_optimizer.apply_gradients(
                zip(generator_f_gradients, generator_f.trainable_variables)
            )
            discriminator_x_optimizer.apply_gradients(
                zip(discriminator_x_gradients, discriminator_x.trainable_variables)
            )
            discriminator_y_optimizer.apply_gradients(
                zip(discriminator_y_gradients, discriminator_y.trainable_variables)
            )
        """,
    ),
    md(
        "generate-images",
        """
        ### The epoch loop

        After every epoch the tutorial draws G's translation of one fixed horse, so that
        progress is visible on the same image:
        """,
    ),
    code(
        "seed-generate-images",
        """
        def generate_images(model, test_input):
            prediction = model(test_input)

            plt.figure(figsize=(6, 3))

            display_list = [test_input[0], prediction[0]]
            title = ["Input Image", "Predicted Image"]

            for i in range(2):
                plt.subplot(1, 2, i + 1)
                plt.title(title[i])
                # getting the pixel values between [0, 1] to plot it
                plt.imshow(display_list[i] * 0.5 + 0.5)
                plt.axis("off")
            plt.show()
        """,
    ),
    md(
        "loop",
        """
        The tutorial trains 40 epochs of 1,067 steps, each step one horse and one unrelated
        zebra. Here one short epoch of
        `STEPS` steps shows the loop working: a dot every ten steps, the preview, a
        checkpoint, the time taken. (The first step takes longer: `tf.function` is tracing
        and compiling the step.)
        """,
    ),
    code(
        "seed-loop",
        """
        import time

        from IPython.display import clear_output

        EPOCHS = 1  # the tutorial: 40
        STEPS = 10  # steps per epoch here; the tutorial runs through the whole dataset

        for epoch in range(EPOCHS):
            start = time.time()

            n = 0
            for image_x, image_y in tf.data.Dataset.zip((train_horses, train_zebras)).take(STEPS):
                train_step(image_x, image_y)
                if n % 10 == 0:
                    print(".", end="")
                n += 1

            clear_output(wait=True)
            # Using a consistent image (sample_horse) so that the progress of the model
            # is clearly visible.
            generate_images(generator_g, sample_horse)

            ckpt_save_path = ckpt_manager.save()
            print(f"Saving checkpoint for epoch {epoch + 1} at {os.path.basename(ckpt_save_path)}")
            print(f"Time taken for epoch {epoch + 1} is {time.time() - start:.1f} sec")
        """,
    ),
    md(
        "options",
        """
        ## The paper's training options

        Ten steps move the weights only a little: the prediction is still a blur. A real run
        needs thousands of steps, and the package's loop adds three options from the paper
        and the authors' code that the tutorial leaves out (and that the loop above, with the
        tutorial's BCE losses, does not use):

        - **LSGAN** (`loss="lsgan"`): least-squares adversarial losses instead of
          cross-entropy (notebook 03).
        - **An image pool** (`pool_size=50`): the discriminators learn from a mix of fresh
          fakes and fakes from earlier steps, so they do not forget what the generators used
          to get wrong, and the generators cannot win by hopping between tricks.
        - **Learning-rate decay** (`decay_epochs`): constant at first, then falling linearly
          towards zero over the last `decay_epochs` epochs. The paper trains 100 epochs at
          2e-4 and decays over the next 100; the authors' code gives the last epoch
          1 / (decay_epochs + 1) of the rate, not zero.

        The demo profile also charges each generator for the pixels it changes
        (`lambda_change`, the change price of notebook 03), which neither the paper nor the
        tutorial has.
        """,
    ),
    *exercise(
        "ex-lr",
        """
        ### Exercise 2: the learning-rate schedule

        Write the multiplier of the learning rate for a 0-based `epoch` of `epochs`, the last
        `decay_epochs` of which decay: 1 for the epochs before the decay, then falling by
        `1 / (decay_epochs + 1)` each epoch, so that the last epoch still runs at
        `1 / (decay_epochs + 1)`. The check tries the demo's 7 epochs with 4 decaying, and the
        paper's 200 with 100.
        """,
        """
        def my_lr_factor(epoch, epochs, decay_epochs):
            # your code here
            ...
        """,
        "exercises.check_lr_factor(my_lr_factor)",
        """
        def my_lr_factor(epoch, epochs, decay_epochs):
            decayed = max(0, epoch + 1 - (epochs - decay_epochs))  # epochs decayed so far
            return 1.0 - decayed / (decay_epochs + 1)
        """,
    ),
    md(
        "schedule-table",
        """
        The package's `lr_factor`, on the paper's schedule and the demo's:
        """,
    ),
    checked(
        "schedule-check",
        """
        from cyclegan_lesson.training import lr_factor

        paper = [round(lr_factor(epoch, 200, 100), 4) for epoch in (0, 99, 100, 199)]
        print("paper, epochs 1, 100, 101, 200:", paper)
        print("demo, epochs 1-7:", [round(lr_factor(epoch, 7, 4), 2) for epoch in range(7)])
        """,
    ),
    md(
        "loop-after",
        """
        ## The package's loop: `train(config)`

        `training.train(config)` runs the same step (`config.impl = "fused"` computes the same
        gradients faster, see the end of this notebook), with the options this profile sets
        (the table at the top: LSGAN, the image pool, the learning-rate decay, the change
        price), and adds what a long run needs:

        - a progress bar per epoch with the running losses;
        - a preview after each epoch, saved as `previews/epoch_NNN.png`;
        - a row of mean losses per epoch in `history.csv`;
        - checkpoints (every `checkpoint_every` epochs, at the end, and when you interrupt);
        - resume: calling `train` again goes on from the newest checkpoint, at the same
          step, with the same data order;
        - a guard that stops with a clear message if a loss becomes NaN, keeping the last
          good checkpoint.

        First, stop after 20 steps, as if you pressed *Interrupt* (■): the package saves a
        checkpoint on the way out.

        **On a slow computer?** Run `config = config.replace(time_budget=600)` first: the
        first steps measure how fast your machine is, then `train` shortens every epoch so
        that the whole run ends within the budget (ten minutes here), and prints the plan.
        Fewer steps give rougher zebras, but a finished run.
        """,
    ),
    code(
        "train-interrupted",
        """
        from cyclegan_lesson.training import History, run_paths, run_status, train

        status = run_status(config.output_dir)
        if status["finished"]:
            print(f"{config.output_dir} has finished training already; delete it to train again.")
        elif status["step"] == 0:
            stopped = train(config, max_steps=20)
            print("interrupted:", stopped.interrupted)
            print("checkpoint:", os.path.basename(stopped.checkpoint))
        """,
    ),
    md(
        "resume",
        """
        Calling `train` again resumes where it stopped: same step, same optimiser state, same
        data order. It first says where it starts from, then trains to the end. With the
        `demo` profile on a laptop CPU this takes a while (the time each epoch took is in the
        bar): a good moment for a coffee.
        """,
    ),
    code(
        "train-resume",
        """
        status = run_status(config.output_dir)
        if not status["finished"]:
            print(f"resuming at epoch {status['epoch'] + 1}, step {status['step']}")
            result = train(config)
        """,
    ),
    md(
        "previews",
        """
        The previews after each epoch, oldest on the left: the horse (top) and the zebra
        (bottom) of the first test images, with G's and F's translations beside them.
        """,
    ),
    code(
        "preview-strip",
        """
        paths = run_paths(config.output_dir)
        viz.preview_strip(paths["previews"])
        """,
    ),
    md(
        "curves",
        """
        ## Reading the loss curves

        A classifier's loss falls towards zero. A GAN's adversarial losses do not: the
        generators and the discriminators are opponents, and each one's progress is the
        other's setback. What to expect:

        - **discriminators**: with LSGAN, near 0.25 means D cannot tell real from fake
          (it answers 0.5 for both; with the tutorial's BCE that level is ln 2 ≈ 0.69); a
          D loss that falls towards 0 while the generators' rise means D has won, and the
          generators get little useful signal;
        - **adversarial (generators)**: hovering, not falling; their level depends on D;
        - **cycle** and **identity**: these do fall, as G and F learn to undo each other and
          to leave images of their own target domain alone;
        - **change price** (on a profile with `lambda_change`): it falls in the first epochs,
          as the generators stop answering grey and keep the scene, then settles at what the
          new coats cost.
        """,
    ),
    code(
        "loss-curves",
        """
        history = History.read(paths["history"])
        viz.loss_curves(history.rows)
        """,
    ),
    md(
        "run-folder",
        """
        Everything the run wrote is in one folder: `config.json` (the settings),
        `checkpoints/`, `previews/` and `history.csv` (and TensorBoard logs in
        `tensorboard/`, with `tensorboard=True`). Notebook 05 loads it
        from there; so does the command line (`cyclegan-lesson train --out DIR` writes the
        same folder).
        """,
    ),
    code(
        "run-folder-list",
        """
        print(sorted(p.name for p in paths["root"].iterdir()))
        print("epochs in history.csv:", len(history.rows))
        """,
    ),
    md(
        "fused",
        """
        ## Optional: the fused step

        The package's default step (`config.impl = "fused"`) computes the same gradients as
        the tutorial's with fewer, larger calls: F runs once on `[y, x]`, G once on
        `[x, y, F(y)]` and F once more on `G(x)`, each discriminator once on `[real, fake]`,
        and one gradient call serves both generators (each generator's loss terms that
        belong to the other do not depend on its weights). Instance norm treats each image on
        its own, so stacking images into one batch changes nothing. Checked on the same
        weights and inputs:
        """,
    ),
    checked(
        "fused-check",
        """
        from cyclegan_lesson.step import MODEL_NAMES, CycleGAN

        gan = CycleGAN(exercises.step_config())
        x = tf.random.stateless_uniform([1, 32, 32, 3], [1, 2], -1, 1)
        y = tf.random.stateless_uniform([1, 32, 32, 3], [3, 4], -1, 1)
        reference, _ = gan.tutorial_gradients(x, y)
        fused, _ = gan.fused_gradients(x, y)
        for name in MODEL_NAMES:
            worst = max(
                float(tf.norm(f - r) / (tf.norm(r) + 1e-30))
                for f, r in zip(fused[name], reference[name], strict=True)
            )
            print(f"{name:<16} same gradients: {worst < 1e-4}")
        """,
    ),
    md(
        "fused-speed",
        """
        On a 2-core AMD EPYC (Zen 3, AVX2, no AVX-512) a 256-px step at batch 1 takes a
        median 4.06 s fused against 4.98 s for the tutorial's step, 1.23x faster (measured
        with `benchmarks/train_step.py`; `docs/performance.md` has the figures for other
        machines).
        """,
    ),
    *footer(
        [
            "Each network has its own Adam optimiser (2e-4, β₁ = 0.5); a "
            "`tf.train.Checkpoint` holds all eight objects, a `CheckpointManager` keeps the "
            "newest checkpoints.",
            "One step: ten network calls on a persistent tape, one loss per network, each "
            "network's gradient with respect to its own weights, four updates.",
            "`train(config)` runs that step with progress, previews, history, checkpoints "
            "and exact resume.",
            "GAN losses hover rather than fall; the cycle and identity losses fall.",
            "LSGAN, an image pool and a linear learning-rate decay are the paper's additions; "
            "the change price is the demo's.",
        ],
        """
        Each runs as written, in a run folder of its own, in a few minutes on a CPU.

        1. Train the paper's ResNet generator for one short epoch of 50 steps and look at
           its translations:

           ```python
           short = dict(epochs=1, decay_epochs=0, steps_per_epoch=50)
           resnet = train(config.replace(generator="resnet", output_dir="runs/try-resnet", **short))
           gan = resnet.model
           viz.generator_preview(gan.generator_g, gan.generator_f, sample_horse, sample_zebra, 1)
           ```

        2. Without the image pool, do the discriminators' losses end the epoch differently?

           ```python
           short = dict(epochs=1, decay_epochs=0, steps_per_epoch=50)
           no_pool = train(config.replace(pool_size=0, output_dir="runs/try-no-pool", **short))
           pool = train(config.replace(output_dir="runs/try-pool", **short))
           print(no_pool.history.rows[-1]["disc_x"], pool.history.rows[-1]["disc_x"])
           ```

        3. Give a run a time budget of two minutes, and read the plan it prints (how many
           steps fit, and over which the learning rate decays):

           ```python
           budgeted = train(config.replace(time_budget=120, output_dir="runs/try-budget"))
           ```

        4. Your own step against the package's: run the tutorial's loop above again with
           `STEPS = 30` (it goes on from its checkpoint), then train the package's for 30
           steps and compare the two previews. (The package's run uses this profile's LSGAN
           and image pool; the tutorial's loop, BCE and none.)

           ```python
           thirty_steps = dict(epochs=1, decay_epochs=0, steps_per_epoch=30)
           thirty = train(config.replace(output_dir="runs/try-30", **thirty_steps))
           gan = thirty.model
           viz.generator_preview(gan.generator_g, gan.generator_f, sample_horse, sample_zebra, 1)
           ```
        """,
        [
            PAPER,
            TUTORIAL,
            PIX2PIX,
            ADAM,
            LSGAN,
            POOL,
            AUTHORS_CODE,
            "TensorFlow's guide to checkpoints: https://www.tensorflow.org/guide/checkpoint",
        ],
        "05_inference",
    ),
]

if __name__ == "__main__":
    print(save(NAME, cells))
