"""Can the demo's generator draw outlines to the pixel when it is shown the answer?

The demo's A -> B zebras come out one to two pixels fatter than the horses
(quality-bar.md, "Where the zebras grow"). Is that the U-Net at this size and this
number of steps, or the unpaired training? This script trains the demo's G alone and
*supervised*: on the train scenes rendered both ways (plain input, the same scene striped as
the target), with a squared-error loss, for the demo's number of steps (batch, learning
rate, Adam and linear decay as the demo), then scores it on the paired test scenes like
``cyclegan-lesson evaluate`` and ``silhouette_gain.py``. A plain animal does not say
where its stripes would be, so G learns their mean inside the animal, a grey (with L1 it
would learn their median: any value between black and white, grass-green included); but
where the animal ends is in the input, so the outline is the network's to get right.

    python research/outline-halo/supervised_outline.py [--steps N] [--full-res-skip HEAD]
        [FIELD=VALUE ...]

FIELD=VALUE overrides a field of the demo profile (``base_filters=32``); ``--full-res-skip``
uses the U-Net variant of ``experiment.py`` (both in this folder).
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from cyclegan_lesson import models as m
from cyclegan_lesson import speedups, toy
from cyclegan_lesson.config import get_config
from cyclegan_lesson.data import normalize
from cyclegan_lesson.inference import translate


def train_pairs(size: int, seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, size, size, 3) uint8 twice: trainA's scenes plain, and the same scenes striped."""
    a, b, _ = toy.make_paired(size, seed, count, split="trainA")
    return a, b


def train_supervised(
    generator: keras.Model,
    a: np.ndarray,
    b: np.ndarray,
    steps: int,
    batch: int,
    learning_rate: float,
    beta_1: float,
    decay_steps: int,
    seed: int = 0,
) -> list[float]:
    """Fit ``generator(a) ~ b`` (mean squared error, images in [-1, 1]) with Adam, the rate
    decaying linearly to 0 over the last ``decay_steps`` steps; pairs are shuffled and flipped
    together. Returns the loss of every step."""
    pairs = (
        tf.data.Dataset.from_tensor_slices((normalize(a), normalize(b)))
        .shuffle(len(a), seed=seed)
        .repeat()
        .batch(batch, drop_remainder=True)
    )
    optimizer = speedups.FusedAdam(learning_rate, beta_1=beta_1)

    @tf.function
    def step(x, y, flip):
        x, y = tf.cond(flip, lambda: (x[:, :, ::-1], y[:, :, ::-1]), lambda: (x, y))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(generator(x, training=True) - y))
        grads = tape.gradient(loss, generator.trainable_variables)
        optimizer.apply_gradients(zip(grads, generator.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    losses = []
    for t, (x, y) in enumerate(pairs.take(steps)):
        optimizer.learning_rate.assign(learning_rate * min(1.0, (steps - t) / max(decay_steps, 1)))
        losses.append(float(step(x, y, tf.constant(rng.random() < 0.5))))
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="default: the demo's (epochs x steps/epoch)")
    parser.add_argument("--full-res-skip", type=int, default=0, metavar="HEAD")
    parser.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    args = parser.parse_intermixed_args(argv)
    config = get_config("demo", dict(arg.split("=", 1) for arg in args.fields), env={})
    keras.utils.set_random_seed(config.seed)
    per_epoch = config.steps_per_epoch or config.toy_train_size // config.batch_size
    steps = args.steps or config.epochs * per_epoch
    decay_steps = round(steps * config.decay_epochs / config.epochs)
    if args.full_res_skip:
        from experiment import full_res_unet

        generator = full_res_unet(config, args.full_res_skip, "generator_g")
    else:
        generator = m.build_models(config)["generator_g"]
    # the layers the demo's training gives it (impl="fused": the small-map convolutions)
    speedups.apply({"generator_g": generator}, config.impl)
    a, b = train_pairs(config.image_size, config.seed, config.toy_train_size)
    start = time.perf_counter()
    losses = train_supervised(
        generator,
        a,
        b,
        steps,
        config.batch_size,
        config.learning_rate,
        config.beta_1,
        decay_steps,
        config.seed,
    )
    minutes = (time.perf_counter() - start) / 60
    print(f"{steps} supervised steps in {minutes:.1f} min; loss of the last 100: ", end="")
    print(f"{np.mean(losses[-100:]):.3f}")

    from silhouette_gain import print_header, row

    test_a, test_b, masks, empty = toy.make_paired(config.image_size, config.seed, background=True)
    out = translate(generator, test_a)
    print_header()
    name = "supervised G" + (f", full-res skip {args.full_res_skip}" if args.full_res_skip else "")
    row(name, test_a, out, masks, empty)
    row("perfect translation", test_a, test_b, masks, empty)


if __name__ == "__main__":
    main()
