"""Experiments (not part of the package): the demo with other model ends or training tricks.

* ``--full-res-skip HEAD``: pix2pix's U-Net makes its output with one transposed conv from
  half-resolution features, so a sharp outline must be encoded at half resolution. This
  variant ends like the original U-Net (Ronneberger et al. 2015): the last transposed conv
  gives HEAD features at full resolution (instance norm, ReLU), the input image is
  concatenated, and a 3x3 conv with tanh makes the output.
* ``--discriminator-layers 2``: the PatchGAN with one stride-2 level fewer (``n_layers_D=2``
  in the paper's code): each logit judges a 34x34 patch instead of 70x70.
* ``--discriminator-first FILTERS``: the PatchGAN's first conv, the only one that sees
  single pixels, gets FILTERS filters (the rest keep the demo's): can a discriminator that
  sees fine detail better, without growing everywhere, tell G's blurred outlines apart?
* ``--discriminator-x-filters FILTERS``: D_X (which judges F's horses) gets FILTERS filters,
  D_Y keeps the demo's. G learns pixel-exact outlines only where it has a target, as on F's
  fake horses in the cycle (quality-bar.md); a D_X that leaves F less room to hide the
  stripes in its horses might make those fakes, and so G's training, more like real horses.
* ``--local-critic FILTERS``: D_Y also gets a critic of fine detail (3x3 convs, FILTERS at
  full resolution, twice that at half; 9x9-pixel neighbourhoods) next to its PatchGAN: can a
  judge of local edges see that G's zebras are a pixel too fat?
* ``--residual``: both generators output a correction to their input,
  ``tanh(atanh(x) + U(x))``: they start as the identity, outline included, so any halo has
  to be learned rather than kept from the start.
* ``--ema DECAY``: also keep an exponential moving average of both generators' weights
  (updated after every step, with the usual warm-up ``min(DECAY, (1 + t) / (10 + t))``, by
  a Keras callback of ``training.train``) and evaluate the averaged generators too.
* ``--discriminator-lr-factor F``: the discriminators learn at F times the generators' rate
  (same schedule; a callback sets it at the start of every epoch).
* ``--one-coat``: every horse of the toy dataset (train, test and paired scenes) gets the
  same coat, half way between brown and tan, so a zebra drops nothing F needs: is the halo
  where G hides the horse's colour for the cycle (Chu et al. 2017)? A diagnosis, not a fix:
  it changes the task.

Everything else is the demo profile (FIELD=VALUE overrides a field); the run is evaluated
like ``cyclegan-lesson evaluate`` and the table printed. The results below were measured
before the demo profile turned on attention-guided generators: add ``attention=false`` to
repeat them. (The variants that replace the generators replace them with plain ones.)

    python research/outline-halo/experiment.py OUT_DIR [--full-res-skip 16]
        [--discriminator-layers 2] [--discriminator-first 64] [--discriminator-x-filters 32]
        [--local-critic 16] [--residual] [--ema 0.999]
        [--discriminator-lr-factor 0.5] [--one-coat] [FIELD=VALUE ...]

Results (quality-bar.md, "What we tried"): the full-resolution skip (16) sharpened
B -> A (IoU 0.868) but A -> B put stray marks in the grass (IoU 0.579); the 34x34 PatchGAN gave
0.735 / 0.856, the demo's within the noise. So the package keeps the tutorial's models.
Averaging the generators' weights (``--ema 0.999``) took the demo from 0.743 to 0.748 and
the run with ``--discriminator-lr-factor 0.5 learning_rate=4e-4`` from 0.703 to 0.739. 64
filters in the PatchGAN's first conv (``--discriminator-first 64``) cut the halo a little
(0.161 of the area against 0.171) but let G mark the grass: A -> B 0.567. A 32-filter D_X:
0.719 / 0.854. The local critic (16) left the halo as it was (0.187) and G marked the grass:
0.643 / 0.841. Residual generators copy well (identity L1 0.010 / 0.012) but keep the halo
(0.164) and mark the grass both ways: 0.641 / 0.284. With one coat for every horse the halo
stays (0.160 of the area; A -> B 0.718 / B -> A 0.859): it is not where G hides the colour.
The price on change (``lambda_change=W``, measured on the second edition's demo, without
attention, in float32, when this script still added it as ``--source-price W``): W = 2 gave
X -> Y 0.739 / 0.728 on seeds 0 / 1, W = 4 0.770 / 0.759, against 0.59-0.65 without it. The
demo profile now sets ``lambda_change=4``, so add ``lambda_change=0`` to this script's runs
to repeat the earlier rows.
"""

from __future__ import annotations

import argparse
import json
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from cyclegan_lesson import evaluation, toy, training
from cyclegan_lesson import models as m
from cyclegan_lesson.config import get_config
from cyclegan_lesson.data import load_domains


def normal() -> keras.initializers.Initializer:
    """The tutorial's kernel initializer, N(0, 0.02). (The layers here are Keras' own; with
    ``impl="fused"`` the package's ``CycleGAN`` swaps in its small-map convolutions, as it does
    for its own models.)"""
    return keras.initializers.RandomNormal(0.0, 0.02)


def unet_without_head(config):
    """The demo's U-Net's input and its decoder's output (what pix2pix's last layer reads),
    for a variant to put its own last layers on."""
    base = m.unet_generator(
        3, "instancenorm", config.image_size, config.base_filters, config.dropout_layers
    )
    return base.input, base.layers[-1].input


def full_res_unet(config, head: int, name: str) -> keras.Model:
    inputs, x = unet_without_head(config)
    x = layers.Conv2DTranspose(
        head, 4, strides=2, padding="same", kernel_initializer=normal(), use_bias=False
    )(x)
    x = layers.ReLU()(m.InstanceNormalization()(x))
    x = layers.Concatenate()([x, inputs])  # the full-resolution skip
    x = layers.Conv2D(
        3, 3, padding="same", kernel_initializer=normal(), activation="tanh", dtype="float32"
    )(x)
    return keras.Model(inputs, x, name=name)


def residual_unet(config, name: str) -> keras.Model:
    """The demo's U-Net as a correction to its input: ``tanh(atanh(x) + U(x))``, with ``x``
    clipped to +-0.99 and U the U-Net with a linear last layer. At initialisation G(x) is
    about x, outline included."""
    inputs, x = unet_without_head(config)
    delta = layers.Conv2DTranspose(
        3, 4, strides=2, padding="same", kernel_initializer=normal(), dtype="float32"
    )(x)
    prior = layers.Lambda(lambda t: keras.ops.arctanh(keras.ops.clip(t, -0.99, 0.99)))(inputs)
    out = layers.Activation("tanh", dtype="float32")(layers.Add()([prior, delta]))
    return keras.Model(inputs, out, name=name)


def patchgan(f: int, name: str, levels: int = 3, first: int | None = None) -> keras.Model:
    """The tutorial's PatchGAN with ``levels`` stride-2 convs (3 as the tutorial; 2 judges
    34x34 patches) and ``first`` filters in its first, full-resolution conv (default ``f``)."""
    inputs = layers.Input(shape=[None, None, 3])
    x = m.downsample(first or f, 4, "instancenorm", apply_norm=False)(inputs)
    for level in range(1, levels):
        x = m.downsample(2**level * f, 4, "instancenorm")(x)
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(2**levels * f, 4, strides=1, kernel_initializer=normal(), use_bias=False)(x)
    x = layers.LeakyReLU(negative_slope=0.3)(m.InstanceNormalization()(x))
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(1, 4, strides=1, kernel_initializer=normal(), dtype="float32")(x)
    return keras.Model(inputs, x, name=name)


def with_local_critic(patch: keras.Model, f: int, name: str) -> keras.Model:
    """``patch`` plus a small critic of fine detail: 3x3 convs (f filters at full
    resolution, 2f at half) judge 9x9-pixel neighbourhoods, their logits averaged over 4x4
    blocks of the half-resolution map. Both logit maps are flattened side by side, so the
    losses' mean weighs them about equally (196 and 256 logits at 128 px)."""
    inputs = layers.Input(shape=[None, None, 3])
    x = layers.Conv2D(f, 3, padding="same", kernel_initializer=normal())(inputs)
    x = layers.LeakyReLU(negative_slope=0.3)(x)
    x = layers.Conv2D(
        2 * f, 3, strides=2, padding="same", kernel_initializer=normal(), use_bias=False
    )(x)
    x = layers.LeakyReLU(negative_slope=0.3)(m.InstanceNormalization()(x))
    x = layers.Conv2D(1, 3, padding="same", kernel_initializer=normal(), dtype="float32")(x)
    x = layers.AveragePooling2D(4)(x)
    logits = [layers.Flatten()(patch(inputs)), layers.Flatten()(x)]
    return keras.Model(inputs, layers.Concatenate()(logits), name=name)


class WeightAverage(keras.callbacks.Callback):
    """An exponential moving average of some models' weights, kept in shadow variables. As a
    callback of :func:`training.train` it updates after every training step."""

    def __init__(self, models, decay: float):
        super().__init__()
        self.weights = [w for model in models for w in model.weights]
        self.shadows = [tf.Variable(w, trainable=False) for w in self.weights]
        self.decay = decay
        self.updates = tf.Variable(0.0, trainable=False)

    @tf.function
    def update(self):
        self.updates.assign_add(1.0)
        decay = tf.minimum(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for shadow, w in zip(self.shadows, self.weights, strict=True):
            shadow.assign(decay * shadow + (1.0 - decay) * tf.cast(w, shadow.dtype))

    def on_train_batch_end(self, batch, logs=None):
        self.update()

    def swap(self) -> None:
        """Exchange the live weights and the averaged ones."""
        for shadow, w in zip(self.shadows, self.weights, strict=True):
            live = w.numpy()
            w.assign(shadow)
            shadow.assign(live)


class DiscriminatorRate(keras.callbacks.Callback):
    """At the start of every epoch (after the loop has set all four optimisers' rate for it),
    give the discriminators ``factor`` times the generators' rate."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def on_epoch_begin(self, epoch, logs=None):
        c = self.model.config  # the rate CycleGAN.set_learning_rate gave this epoch
        lr = c.learning_rate * training.lr_factor(epoch, c.epochs, c.decay_epochs)
        for name in ("discriminator_x", "discriminator_y"):
            self.model.optimizers[name].learning_rate.assign(lr * self.factor)


def training_callbacks(average: WeightAverage | None, discriminator_lr_factor: float) -> list:
    """The callbacks that hook the averaging and the discriminators' learning rate into the
    package's loop (only what is asked for: without either, the loop is the package's own)."""
    callbacks = [] if average is None else [average]
    if discriminator_lr_factor != 1.0:
        callbacks.append(DiscriminatorRate(discriminator_lr_factor))
    return callbacks


ONE_COAT = 0.5 * (np.array([0.42, 0.26, 0.13]) + np.array([0.8, 0.64, 0.43]))


def one_coat() -> None:
    """Give every toy horse the coat :data:`ONE_COAT` (the scenes are otherwise unchanged:
    the random draws stay in order)."""
    sample = toy.sample_scene

    def sample_scene(rng):
        return {**sample(rng), "body": ONE_COAT.copy()}

    toy.sample_scene = sample_scene


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--full-res-skip", type=int, default=0, metavar="HEAD")
    parser.add_argument("--discriminator-layers", type=int, choices=(2, 3), default=3)
    parser.add_argument("--discriminator-first", type=int, default=0, metavar="FILTERS")
    parser.add_argument("--discriminator-x-filters", type=int, default=0, metavar="FILTERS")
    parser.add_argument("--residual", action="store_true")
    parser.add_argument("--local-critic", type=int, default=0, metavar="FILTERS")
    parser.add_argument("--ema", type=float, default=0.0, metavar="DECAY")
    parser.add_argument("--discriminator-lr-factor", type=float, default=1.0, metavar="F")
    parser.add_argument("--one-coat", action="store_true")
    parser.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    args = parser.parse_intermixed_args(argv)
    fields = dict(arg.split("=", 1) for arg in args.fields)
    config = get_config("demo", {**fields, "output_dir": args.out}, env={})
    if args.one_coat:
        one_coat()
    keras.utils.set_random_seed(config.seed)
    models = m.build_models(config)
    if args.full_res_skip:
        for name in ("generator_g", "generator_f"):
            models[name] = full_res_unet(config, args.full_res_skip, name)
    if args.residual:
        for name in ("generator_g", "generator_f"):
            models[name] = residual_unet(config, name)
    if args.discriminator_layers == 2:
        for name in ("discriminator_x", "discriminator_y"):
            models[name] = patchgan(config.discriminator_filters, name, levels=2)
    if args.discriminator_first:
        for name in ("discriminator_x", "discriminator_y"):
            models[name] = patchgan(
                config.discriminator_filters, name, first=args.discriminator_first
            )
    if args.discriminator_x_filters:
        models["discriminator_x"] = m.patch_discriminator(
            config.image_size, args.discriminator_x_filters, name="discriminator_x"
        )
    if args.local_critic:
        models["discriminator_y"] = with_local_critic(
            models["discriminator_y"], args.local_critic, "discriminator_y"
        )
    print("generator parameters:", m.count_params(models["generator_g"]))
    for name in ("discriminator_x", "discriminator_y"):
        print(f"{name} parameters:", m.count_params(models[name]))
    generators = [models["generator_g"], models["generator_f"]]
    average = WeightAverage(generators, args.ema) if args.ema else None
    callbacks = training_callbacks(average, args.discriminator_lr_factor)
    domains = load_domains(config)
    start = time.perf_counter()
    training.train(config, domains, models=models, progress=False, callbacks=callbacks)
    print(f"training: {(time.perf_counter() - start) / 60:.1f} min")
    result = evaluation.evaluate(*generators, domains)
    print(evaluation.format_table(result))
    with open(f"{args.out}/evaluation.json", "w") as f:
        json.dump(result, f, indent=2)
    if average is not None:
        average.swap()
        result = evaluation.evaluate(*generators, domains)
        print(f"\nthe generators' weights averaged with decay {args.ema}:")
        print(evaluation.format_table(result))
        with open(f"{args.out}/evaluation_ema.json", "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
