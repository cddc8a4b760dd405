"""Experiments (not part of the package): the demo with other generator or discriminator ends.

* ``--full-res-skip HEAD``: pix2pix's U-Net makes its output with one transposed conv from
  half-resolution features, so a sharp outline must be encoded at half resolution. This
  variant ends like the original U-Net (Ronneberger et al. 2015): the last transposed conv
  gives HEAD features at full resolution (instance norm, ReLU), the input image is
  concatenated, and a 3x3 conv with tanh makes the output.
* ``--discriminator-layers 2``: the PatchGAN with one stride-2 level fewer (``n_layers_D=2``
  in the paper's code): each logit judges a 34x34 patch instead of 70x70.

Everything else is the demo profile (FIELD=VALUE overrides a field); the run is evaluated
like ``cyclegan-lesson evaluate`` and the table printed.

    python tools/experiment_architecture.py OUT_DIR [--full-res-skip 16]
        [--discriminator-layers 2] [FIELD=VALUE ...]

Results (README, "What we tried"): the full-resolution skip (16) sharpened B -> A (IoU 0.868)
but A -> B put stray marks in the grass (IoU 0.579); the 34x34 PatchGAN gave 0.735 / 0.856,
the demo's within the noise. So the package keeps the tutorial's models.
"""

from __future__ import annotations

import argparse
import json
import time

import keras
from keras import layers

from cyclegan_lesson import evaluation
from cyclegan_lesson import models as m
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.data import load_domains
from cyclegan_lesson.training import train


def full_res_unet(config, head: int, name: str) -> keras.Model:
    base = m.unet_generator(
        3, "instancenorm", config.image_size, config.base_filters, config.dropout_layers
    )
    x = base.layers[-1].input  # the decoder's output, which pix2pix's last layer reads
    x = m.Conv2DTranspose(
        head, 4, strides=2, padding="same", kernel_initializer=m._init(), use_bias=False
    )(x)
    x = layers.ReLU()(m.InstanceNormalization()(x))
    x = layers.Concatenate()([x, base.input])  # the full-resolution skip
    x = layers.Conv2D(
        3, 3, padding="same", kernel_initializer=m._init(), activation="tanh", dtype="float32"
    )(x)
    return keras.Model(base.input, x, name=name)


def two_level_patchgan(f: int, name: str) -> keras.Model:
    inputs = layers.Input(shape=[None, None, 3])
    x = m.downsample(f, 4, "instancenorm", apply_norm=False)(inputs)
    x = m.downsample(2 * f, 4, "instancenorm")(x)
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(4 * f, 4, strides=1, kernel_initializer=m._init(), use_bias=False)(x)
    x = layers.LeakyReLU(negative_slope=0.3)(m.InstanceNormalization()(x))
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(1, 4, strides=1, kernel_initializer=m._init(), dtype="float32")(x)
    return keras.Model(inputs, x, name=name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--full-res-skip", type=int, default=0, metavar="HEAD")
    parser.add_argument("--discriminator-layers", type=int, choices=(2, 3), default=3)
    parser.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    args = parser.parse_intermixed_args(argv)
    demo = PROFILES["demo"]
    fields = dict(arg.split("=", 1) for arg in args.fields)
    config = demo.replace(
        output_dir=args.out, **{k: type(getattr(demo, k))(v) for k, v in fields.items()}
    )
    keras.utils.set_random_seed(config.seed)
    models = m.build_models(config)
    if args.full_res_skip:
        for name in ("generator_g", "generator_f"):
            models[name] = full_res_unet(config, args.full_res_skip, name)
    if args.discriminator_layers == 2:
        for name in ("discriminator_x", "discriminator_y"):
            models[name] = two_level_patchgan(config.discriminator_filters, name)
    print("generator parameters:", m.count_params(models["generator_g"]))
    print("discriminator parameters:", m.count_params(models["discriminator_x"]))
    domains = load_domains(config)
    start = time.perf_counter()
    train(config, domains, models=models, progress=False)
    print(f"training: {(time.perf_counter() - start) / 60:.1f} min")
    result = evaluation.evaluate(models["generator_g"], models["generator_f"], domains)
    print(evaluation.format_table(result))
    with open(f"{args.out}/evaluation.json", "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
