"""Experiment (not part of the package): the demo with a full-resolution skip in the U-Net.

pix2pix's U-Net makes its output with one transposed conv from half-resolution features, so a
sharp outline must be encoded at half resolution. This variant ends like the original U-Net
(Ronneberger et al. 2015) instead: the last transposed conv gives HEAD features at full
resolution (instance norm, ReLU), the input image is concatenated, and a 3x3 conv with tanh
makes the output. Everything else is the demo profile; the run is evaluated like
`cyclegan-lesson evaluate` and the table printed.

    python tools/experiment_full_res_skip.py OUT_DIR [HEAD] [FIELD=VALUE ...]

Result (README, "What we tried"): HEAD 16 sharpened B -> A (IoU 0.868) but A -> B put stray
marks in the grass (IoU 0.579), so the package keeps pix2pix's U-Net.
"""

from __future__ import annotations

import json
import sys
import time

import keras
from keras import layers

from cyclegan_lesson import evaluation
from cyclegan_lesson import models as m
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.data import load_domains
from cyclegan_lesson.training import train


def full_res_unet(config, head: int, name: str) -> keras.Model:
    f = config.base_filters
    down_filters = [min(f * 2**i, 8 * f) for i in range(m.unet_levels(config.image_size))]
    down_stack = [m.downsample(down_filters[0], 4, "instancenorm", apply_norm=False)] + [
        m.downsample(n, 4, "instancenorm") for n in down_filters[1:]
    ]
    up_stack = [m.upsample(n, 4, "instancenorm") for n in down_filters[-2::-1]]
    inputs = layers.Input(shape=[None, None, 3])
    x, skips = inputs, []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    for up, skip in zip(up_stack, reversed(skips[:-1]), strict=True):
        x = layers.Concatenate()([up(x), skip])
    x = m.Conv2DTranspose(
        head, 4, strides=2, padding="same", kernel_initializer=m._init(), use_bias=False
    )(x)
    x = layers.ReLU()(m.InstanceNormalization()(x))
    x = layers.Concatenate()([x, inputs])  # the full-resolution skip
    x = layers.Conv2D(
        3, 3, padding="same", kernel_initializer=m._init(), activation="tanh", dtype="float32"
    )(x)
    return keras.Model(inputs, x, name=name)


def main(argv: list[str]) -> None:
    out = argv[0]
    head = int(argv[1]) if len(argv) > 1 else 16
    demo = PROFILES["demo"]
    fields = dict(arg.split("=", 1) for arg in argv[2:])
    config = demo.replace(
        output_dir=out, **{k: type(getattr(demo, k))(v) for k, v in fields.items()}
    )
    keras.utils.set_random_seed(config.seed)
    models = m.build_models(config)
    for name in ("generator_g", "generator_f"):
        models[name] = full_res_unet(config, head, name)
    print("generator parameters:", m.count_params(models["generator_g"]))
    domains = load_domains(config)
    start = time.perf_counter()
    train(config, domains, models=models, progress=False)
    print(f"training: {(time.perf_counter() - start) / 60:.1f} min")
    result = evaluation.evaluate(models["generator_g"], models["generator_f"], domains)
    print(evaluation.format_table(result))
    with open(f"{out}/evaluation.json", "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
