"""Using a trained run: load its generators, translate images and folders, export models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .config import Config
from .data import list_images, normalize, quantize, read_image
from .runs import LoadedRun, RunError, load_run

__all__ = [
    "LoadedRun",
    "RunError",
    "ServingGenerator",
    "TranslateReport",
    "export",
    "load_run",
    "translate",
    "translate_array",
    "translate_batch",
    "translate_path",
]


# ----------------------------------------------------------------------------- translate

KEEP_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP"}


def size_multiple(config: Config) -> int:
    """Sides a generator accepts are multiples of this (U-Net: its image size; ResNet: 4)."""
    return config.image_size if config.generator == "unet" else 4


def translate_batch(generator: keras.Model, images, image_size=None, output_size=None) -> tf.Tensor:
    """The one translate path: a batch of images through a generator, uint8 out.

    ``images``: (N, H, W, 3), uint8 in [0, 255] or float in [-1, 1] (a tensor or an array).
    With ``image_size`` (a side, or (height, width)) the batch is resized to it first
    (bilinear), e.g. to the size the generator was trained on; with ``output_size`` the
    translations are resized to that (e.g. back to the input's size) before they become
    uint8. Returns a uint8 (N, H', W', 3) tensor. Works eagerly and inside a ``tf.function``.
    """
    x = tf.convert_to_tensor(images)
    x = tf.cast(x, tf.float32) if x.dtype.is_floating else normalize(x)
    if image_size is not None:
        size = [image_size] * 2 if isinstance(image_size, int) else list(image_size)
        x = tf.image.resize(x, size)
    y = generator(x, training=False)
    if output_size is not None:
        y = tf.image.resize(tf.cast(y, tf.float32), output_size)
    return quantize(y)


def translate(generator: keras.Model, images, image_size=None, batch_size: int = 32) -> np.ndarray:
    """:func:`translate_batch` over any number of images, ``batch_size`` at a time: (N, H, W,
    3) uint8 or [-1, 1] images -> (N, H', W', 3) uint8 translations."""
    return np.concatenate(
        [
            translate_batch(generator, images[i : i + batch_size], image_size).numpy()
            for i in range(0, len(images), batch_size)
        ]
    )


def translate_array(
    generator: keras.Model, image: np.ndarray, config: Config, native: bool = False
) -> np.ndarray:
    """Translate one uint8 (H, W, 3) image; returns uint8.

    By default the image is resized to the model's ``image_size`` (what it was trained on) and
    the output has that size. With ``native=True`` the generator runs at the image's own size,
    padded by reflection to a size it accepts, and the output is cropped back to (H, W).
    """
    if not native:
        return translate(generator, image[None], config.image_size)[0]
    h, w = image.shape[:2]
    m = size_multiple(config)
    ph, pw = -h % m, -w % m
    # reflection needs the pad to be smaller than the side; mirror edges up to the side;
    # an image too small even for that is stretched to the accepted size and back
    mode = "reflect" if ph < h and pw < w else "symmetric" if ph <= h and pw <= w else None
    if mode is None:
        return translate_batch(generator, image[None], (h + ph, w + pw), (h, w)).numpy()[0]
    padded = np.pad(image, [[0, ph], [0, pw], [0, 0]], mode=mode)
    return translate(generator, padded[None])[0, :h, :w]


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
        back = tf.shape(images)[1:3]  # each input's size
        return {"images": translate_batch(self.generator, images, self.image_size, back)}


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
        logger = tf.get_logger()  # "INFO: Assets written to ..." says nothing the caller needs
        level = logger.level
        logger.setLevel("WARNING")
        try:
            tf.saved_model.save(module, str(saved), signatures={"serving_default": module.serve})
        finally:
            logger.setLevel(level)
        keras_file = output / f"{name}.keras"
        model.save(keras_file)
        written[f"{name}_savedmodel"] = saved
        written[f"{name}.keras"] = keras_file
    return written
