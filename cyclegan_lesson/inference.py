"""Using a trained run: load its generators, translate images and folders, export models."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .config import Config
from .data import list_images, normalize, read_image, to_uint8
from .models import build_models
from .training import run_paths


class RunError(RuntimeError):
    """A run folder or checkpoint cannot be used; the message says what to do."""


@dataclass
class LoadedRun:
    """A run's settings and its models, restored from one checkpoint."""

    config: Config
    models: dict[str, keras.Model]
    checkpoint: str

    @property
    def generator_g(self) -> keras.Model:
        return self.models["generator_g"]

    @property
    def generator_f(self) -> keras.Model:
        return self.models["generator_f"]

    def generator(self, direction: str) -> keras.Model:
        """G for ``"a2b"``, F for ``"b2a"``."""
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return self.generator_g if direction == "a2b" else self.generator_f


def load_run(run_dir: str | Path, checkpoint: str | None = None) -> LoadedRun:
    """Rebuild a run's four models from its ``config.json`` and restore a checkpoint (the
    newest unless ``checkpoint`` names one). Optimiser state is not loaded."""
    paths = run_paths(run_dir)
    if not paths["config"].exists():
        raise RunError(
            f"{paths['root']} is not a training run (no config.json). Pass the --out folder "
            "of a `cyclegan-lesson train` run."
        )
    saved = json.loads(paths["config"].read_text())
    config = Config(**{k: v for k, v in saved.items() if k in Config.__dataclass_fields__})
    checkpoint = checkpoint or tf.train.latest_checkpoint(paths["checkpoints"])
    if checkpoint is None:
        raise RunError(f"{paths['checkpoints']} holds no checkpoint yet: train the run first.")
    if not Path(checkpoint + ".index").exists():
        raise RunError(f"No checkpoint {checkpoint} (looked for {checkpoint}.index).")
    models = build_models(config)
    try:
        tf.train.Checkpoint(**models).restore(
            checkpoint
        ).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise RunError(f"Checkpoint {checkpoint} does not fit the run's models: {error}") from error
    return LoadedRun(config, models, checkpoint)


# ----------------------------------------------------------------------------- translate

KEEP_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP"}


def size_multiple(config: Config) -> int:
    """Sides a generator accepts are multiples of this (U-Net: its image size; ResNet: 4)."""
    return config.image_size if config.generator == "unet" else 4


def translate_array(
    generator: keras.Model, image: np.ndarray, config: Config, native: bool = False
) -> np.ndarray:
    """Translate one uint8 (H, W, 3) image; returns uint8.

    By default the image is resized to the model's ``image_size`` (what it was trained on) and
    the output has that size. With ``native=True`` the generator runs at the image's own size,
    padded by reflection to a size it accepts, and the output is cropped back to (H, W).
    """
    x = normalize(image[None])
    if native:
        h, w = image.shape[:2]
        m = size_multiple(config)
        ph, pw = -h % m, -w % m
        # reflection needs the pad to be smaller than the side; mirror edges up to the side;
        # an image too small even for that is stretched to the accepted size and back
        mode = "REFLECT" if ph < h and pw < w else "SYMMETRIC" if ph <= h and pw <= w else None
        if mode is None:
            y = generator(tf.image.resize(x, [h + ph, w + pw]), training=False)
            y = tf.image.resize(y, [h, w])
        else:
            x = tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], mode=mode)
            y = generator(x, training=False)[:, :h, :w]
    else:
        size = config.image_size
        y = generator(tf.image.resize(x, [size, size]), training=False)
    return to_uint8(y[0])


@dataclass
class TranslateReport:
    """Files written and files skipped (with the reason) by :func:`translate_path`."""

    written: list[Path]
    skipped: list[tuple[Path, str]]


def translate_path(
    run: LoadedRun,
    direction: str,
    source: str | Path,
    output: str | Path,
    native: bool = False,
    progress: bool = True,
) -> TranslateReport:
    """Translate one image file or every image in a folder into ``output`` (a folder).

    Names are kept; PNG, JPEG, BMP and WebP inputs keep their format, others become PNG.
    Unreadable files are skipped and reported with their reason.
    """
    source, output = Path(source), Path(output)
    if source.is_dir():
        files = list_images(source)
        if not files:
            raise RunError(f"{source} holds no images to translate.")
    elif source.is_file():
        files = [source]
    else:
        raise RunError(f"Input {source} does not exist.")
    output.mkdir(parents=True, exist_ok=True)
    generator = run.generator(direction)
    report = TranslateReport([], [])
    bar = None
    if progress and len(files) > 1:
        from tqdm.auto import tqdm

        bar = tqdm(files, desc=f"translate {direction}")
    from PIL import Image

    for path in bar or files:
        try:
            image = read_image(path)
        except Exception as error:  # noqa: BLE001 - Pillow raises many kinds
            report.skipped.append((path, f"{type(error).__name__}: {error}"))
            continue
        result = translate_array(generator, image, run.config, native)
        fmt = KEEP_FORMATS.get(path.suffix.lower())
        target = output / (path.name if fmt else path.stem + ".png")
        Image.fromarray(result).save(target, format=fmt or "PNG")
        report.written.append(target)
    return report


# -------------------------------------------------------------------------------- export


class ServingGenerator(tf.Module):
    """A generator with uint8 in, uint8 out: images of any batch and size are resized to the
    model's size, translated, and resized back."""

    def __init__(self, generator: keras.Model, image_size: int):
        super().__init__()
        self.generator = generator
        self.image_size = image_size

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")])
    def serve(self, images):
        size = tf.shape(images)[1:3]
        x = normalize(images)
        y = self.generator(tf.image.resize(x, [self.image_size] * 2), training=False)
        y = tf.image.resize(tf.cast(y, tf.float32), size)
        return {"images": tf.cast(tf.clip_by_value(tf.round((y + 1.0) * 127.5), 0, 255), tf.uint8)}


def export(run: LoadedRun, output: str | Path) -> dict[str, Path]:
    """Write ``generator_g`` and ``generator_f`` as SavedModels (``serving_default``: uint8
    images of any batch and size -> uint8) and as ``.keras`` files. Returns their paths."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in ("generator_g", "generator_f"):
        model = run.models[name]
        module = ServingGenerator(model, run.config.image_size)
        saved = output / f"{name}_savedmodel"
        tf.saved_model.save(module, str(saved), signatures={"serving_default": module.serve})
        keras_file = output / f"{name}.keras"
        model.save(keras_file)
        written[f"{name}_savedmodel"] = saved
        written[f"{name}.keras"] = keras_file
    return written
