"""Input pipelines: three sources (tfds, an image folder, the built-in toy) and the seed's
preprocessing, all behind :func:`load_domains`.

Every source yields uint8 RGB images; the pipeline turns them into float32 images in [-1, 1]:

* train: resize (nearest) to ``jitter_size`` (286 for 256, as the seed), random crop to
  ``image_size``, random left-right flip, scale. The resize is deterministic, so it runs *before*
  the cache; crop and flip run *after* it, so each epoch gets fresh jitter. (The seed caches after
  its random map, which freezes one jitter forever.)
* test: resize to ``image_size`` and scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from . import toy
from .config import Config

SPLITS = ("trainA", "trainB", "testA", "testB")
# tensorflow-datasets' cycle_gan configs (cityscapes was removed in 3.0.0).
TFDS_CONFIGS = (
    "apple2orange",
    "summer2winter_yosemite",
    "horse2zebra",
    "monet2photo",
    "cezanne2photo",
    "ukiyoe2photo",
    "vangogh2photo",
    "maps",
    "facades",
    "iphone2dslr_flower",
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
HOLDOUT_FRACTION = 0.1
HOLDOUT_MAX = 50


class DataSourceError(RuntimeError):
    """A dataset could not be found, downloaded or read; the message says what to do."""


class BadImagesError(DataSourceError):
    """Some image files in a folder cannot be read. ``.bad`` lists ``(path, reason)``."""

    def __init__(self, bad: list[tuple[Path, str]]):
        self.bad = bad
        lines = "\n".join(f"  {path}: {reason}" for path, reason in bad)
        super().__init__(
            f"{len(bad)} image file(s) cannot be read:\n{lines}\n"
            "Fix or remove them, or pass --skip-bad-images (skip_bad_images=True) to train "
            "without them."
        )


# ---------------------------------------------------------------------------------------------
# preprocessing (the seed's, with the cache in the right place)


def normalize(image: tf.Tensor) -> tf.Tensor:
    """uint8 (or float) pixels in [0, 255] -> float32 in [-1, 1]."""
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def quantize(image) -> tf.Tensor:
    """float images in [-1, 1] -> a uint8 tensor in [0, 255] (values outside are clipped);
    graph-safe, for ``tf.function`` and serving."""
    pixels = tf.round((tf.cast(image, tf.float32) + 1.0) * 127.5)
    return tf.cast(tf.clip_by_value(pixels, 0.0, 255.0), tf.uint8)


def to_uint8(image) -> np.ndarray:
    """float images in [-1, 1] -> a uint8 array in [0, 255] (values outside are clipped)."""
    return quantize(image).numpy()


def resize_nearest(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resize an (H, W, 3) image to (size, size, 3) with nearest neighbour, keeping its dtype."""
    return tf.image.resize(image, [size, size], method="nearest")


def random_crop_flip(image: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
    """Random ``size`` x ``size`` crop and random left-right flip, driven by a (2,) int seed."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    channels = tf.shape(image)[-1]
    image = tf.image.stateless_random_crop(image, [size, size, channels], seed=seeds[0])
    return tf.image.stateless_random_flip_left_right(image, seed=seeds[1])


def random_jitter(image: tf.Tensor, size: int = 256, jitter_size: int = 286, seed=None):
    """The seed's random jitter: resize to ``jitter_size`` (nearest), random crop, random flip.

    Args:
        image: (H, W, 3) image of any size and dtype.
        size: side of the crop.
        jitter_size: side of the resize before the crop (286 for a 256 crop).
        seed: (2,) int seed for a repeatable jitter; ``None`` draws a fresh one.
    Returns:
        (size, size, 3) image of the input's dtype.
    """
    if seed is None:
        seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int64)
    return random_crop_flip(resize_nearest(image, jitter_size), size, seed)


def cache_for_training(raw: tf.data.Dataset, config: Config) -> tf.data.Dataset:
    """uint8 images of any size -> resized (nearest) to ``jitter_size`` and cached in memory.

    The resize is deterministic, so it belongs before the cache; every pipeline built on the
    returned dataset shares the one cache.
    """
    size = config.jitter_size
    return raw.map(lambda im: resize_nearest(im, size), num_parallel_calls=tf.data.AUTOTUNE).cache()


def jitter_batches(cached: tf.data.Dataset, config: Config, seed: int) -> tf.data.Dataset:
    """Cached (jitter_size, jitter_size, 3) images -> shuffled, randomly cropped and flipped,
    batched float32 in [-1, 1] of shape (batch_size, image_size, image_size, 3).

    The order and the jitter are repeatable for a given ``seed`` and change each time the
    returned dataset is iterated again.
    """
    size = config.image_size
    ds = cached.shuffle(config.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip(ds, seeds).map(
        lambda im, s: normalize(random_crop_flip(im, size, s)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return ds.batch(config.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def test_pipeline(raw: tf.data.Dataset, config: Config) -> tf.data.Dataset:
    """uint8 images of any size -> batched float32 in [-1, 1], resized to ``image_size``, in
    source order (the seed shuffles its test sets; a fixed order makes results comparable)."""
    size = config.image_size
    ds = raw.map(
        lambda im: normalize(tf.image.resize(im, [size, size])),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).cache()
    return ds.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------
# sources: each returns {split: unbatched uint8 (H, W, 3) dataset} and {split: count}


def _tfds_source(name: str, skip_bad: bool = False) -> tuple[dict, dict]:
    config_name = name.split("/", 1)[1] if "/" in name else ""
    if not name.startswith("cycle_gan/") or config_name not in TFDS_CONFIGS:
        raise DataSourceError(
            f"Unknown dataset 'tfds:{name}'. Valid tfds datasets are "
            + ", ".join(f"tfds:cycle_gan/{c}" for c in TFDS_CONFIGS)
            + ". Without internet use --dataset toy, or a folder with trainA/ and trainB/."
        )
    import tensorflow_datasets as tfds

    try:
        splits, info = tfds.load(name, split=list(SPLITS), as_supervised=True, with_info=True)
    except Exception as error:  # noqa: BLE001 - any failure here is "could not get the data"
        return _folder_source(_archive_instead(name, config_name, error), skip_bad)
    datasets, counts = {}, {}
    for split, ds in zip(SPLITS, splits, strict=True):
        datasets[split] = ds.map(lambda image, label: image)
        counts[split] = _count(ds, info, split)
    return datasets, counts


def _archive_instead(name: str, config_name: str, error: Exception) -> Path:
    """The folder of the authors' archive of ``config_name``, for when tfds failed with
    ``error``; a :class:`DataSourceError` that says what to do if that fails too."""
    from . import archives

    tfds_failed = (
        f"tensorflow-datasets could not load 'tfds:{name}' ({type(error).__name__}: {error})"
    )
    try:
        entry = archives.archive(config_name)
    except archives.ArchiveError as missing:
        raise DataSourceError(f"{tfds_failed}, and {missing}{_WITHOUT_INTERNET}") from error
    if archives.extracted(config_name) is None:
        print(f"{tfds_failed}.\nFetching the CycleGAN authors' archive instead.", flush=True)
    try:
        return archives.fetch(entry)
    except archives.ArchiveError as failed:
        raise DataSourceError(
            f"{tfds_failed}.\nThe fallback, the authors' archive {entry.url}, failed too: "
            f"{failed}{_WITHOUT_INTERNET}"
        ) from error


_WITHOUT_INTERNET = (
    "\nWithout internet, use --dataset toy for the built-in toy horse2zebra, or --dataset "
    "PATH for a folder with trainA/ and trainB/ (and optionally testA/ and testB/)."
)


def _count(ds: tf.data.Dataset, info, split: str) -> int:
    try:
        return int(info.splits[split].num_examples)
    except KeyError:  # e.g. under tfds.testing.mock_data, which has no split metadata
        n = int(ds.cardinality())
        return n if n >= 0 else int(ds.reduce(0, lambda c, _: c + 1))


def read_image(path: str | Path) -> np.ndarray:
    """Read any image file Pillow can decode as 8-bit RGB, shape (H, W, 3) uint8.

    Grayscale, RGBA (composited on white), palette, CMYK and 16-bit images are converted;
    animated GIFs give their first frame.
    """
    from PIL import Image

    with Image.open(path) as im:
        im.seek(0)
        im.load()
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit grey: scale to 8 bits rather than clip
            array = np.asarray(im, dtype=np.float64)
            peak = 65535.0 if array.max() > 255 else 255.0
            im = Image.fromarray(np.round(array / peak * 255).astype(np.uint8), "L")
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            background = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(background, im)
        rgb = im.convert("RGB")
        return np.asarray(rgb, dtype=np.uint8)


def list_images(folder: Path) -> list[Path]:
    """Image files in ``folder`` (by extension, sorted); other files such as .DS_Store are
    ignored."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("._")
    )


def check_images(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Decode every file once; returns (good paths, [(bad path, reason)])."""
    good, bad = [], []
    for path in paths:
        try:
            if path.stat().st_size == 0:
                raise ValueError("empty file")
            image = read_image(path)
            if image.shape[0] < 1 or image.shape[1] < 1:
                raise ValueError("image has no pixels")
            good.append(path)
        except Exception as error:  # noqa: BLE001 - Pillow raises many kinds
            bad.append((path, f"{type(error).__name__}: {error}"))
    return good, bad


def _paths_dataset(paths: list[Path]) -> tf.data.Dataset:
    def load(path):
        return read_image(path.decode() if isinstance(path, bytes) else path)

    def tf_load(path):
        image = tf.numpy_function(load, [path], tf.uint8, stateful=False)
        image.set_shape([None, None, 3])
        return image

    names = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    return names.map(tf_load, num_parallel_calls=tf.data.AUTOTUNE)


def _folder_source(root: Path, skip_bad: bool) -> tuple[dict, dict]:
    if not root.is_dir():
        raise DataSourceError(
            f"Dataset folder {root} does not exist. Give a folder holding trainA/ and trainB/ "
            "(and optionally testA/ and testB/), or use --dataset toy."
        )
    found: dict[str, list[Path]] = {}
    for split in SPLITS:
        folder = root / split
        if split.startswith("train"):
            if not folder.is_dir():
                raise DataSourceError(
                    f"Missing folder {folder}: a dataset folder needs trainA/ and trainB/ "
                    "with the images of the two domains."
                )
            if not list_images(folder):
                raise DataSourceError(
                    f"Folder {folder} holds no images (looked for "
                    f"{', '.join(IMAGE_EXTENSIONS)}). Put the domain's training images there."
                )
        found[split] = list_images(folder) if folder.is_dir() else []

    bad_all: list[tuple[Path, str]] = []
    for split, paths in found.items():
        good, bad = check_images(paths)
        found[split] = good
        bad_all.extend(bad)
    if bad_all and not skip_bad:
        raise BadImagesError(bad_all)
    if bad_all:
        warnings.warn(
            f"Skipping {len(bad_all)} unreadable image file(s) in {root} (--skip-bad-images).",
            stacklevel=3,
        )
    for split in ("trainA", "trainB"):
        if not found[split]:
            raise DataSourceError(f"Folder {root / split} holds no readable images.")

    for domain in "AB":
        train, test = "train" + domain, "test" + domain
        if not found[test]:
            n = min(HOLDOUT_MAX, max(1, round(len(found[train]) * HOLDOUT_FRACTION)))
            if len(found[train]) <= n:
                raise DataSourceError(
                    f"{root / train} has only {len(found[train])} image(s) and there is no "
                    f"{test}/ folder: add a {test}/ folder or more training images."
                )
            warnings.warn(
                f"No {root / test} folder: holding out the last {n} images of {train}/ as {test}.",
                stacklevel=3,
            )
            found[train], found[test] = found[train][:-n], found[train][-n:]

    datasets = {split: _paths_dataset(paths) for split, paths in found.items()}
    counts = {split: len(paths) for split, paths in found.items()}
    return datasets, counts


def _toy_source(config: Config) -> tuple[dict, dict]:
    datasets, counts = {}, {}
    for split in SPLITS:
        count = config.toy_train_size if split.startswith("train") else None
        images = toy.make_split(split, config.image_size, config.seed, count)
        datasets[split] = tf.data.Dataset.from_tensor_slices(images)
        counts[split] = len(images)
    return datasets, counts


def raw_source(config: Config) -> tuple[dict[str, tf.data.Dataset], dict[str, int]]:
    """The unprocessed splits of ``config.dataset``: uint8 (H, W, 3) images of any size.

    ``config.dataset`` is ``"toy"``, ``"tfds:cycle_gan/<config>"`` or a folder path. Where
    tensorflow-datasets cannot download a ``cycle_gan`` set, the authors' archive of it is
    fetched instead (:mod:`cyclegan_lesson.archives`) and read as a folder.
    Returns ``({split: dataset}, {split: number of images})`` for trainA, trainB, testA, testB.
    """
    name = config.dataset
    if name == "toy":
        return _toy_source(config)
    if name.startswith("tfds:"):
        return _tfds_source(name[len("tfds:") :], config.skip_bad_images)
    return _folder_source(Path(name).expanduser(), config.skip_bad_images)


def epoch_seed(seed: int, domain: str, epoch: int) -> int:
    """The data seed of one domain in one epoch: runs are repeatable, and a resumed run sees
    the same data as one that never stopped."""
    return (seed * 100_003 + epoch) * 2 + (0 if domain == "A" else 1)


@dataclass
class Domains:
    """The four splits of a dataset, ready for training and testing, and their sizes.

    ``train(domain, epoch)`` yields (batch, size, size, 3) float32 batches in [-1, 1] with that
    epoch's shuffle and jitter; ``test_a``/``test_b`` the same without jitter, in a fixed order.
    """

    cached_train: dict[str, tf.data.Dataset]
    test_a: tf.data.Dataset
    test_b: tf.data.Dataset
    counts: dict[str, int]
    config: Config

    def train(self, domain: str, epoch: int = 0) -> tf.data.Dataset:
        """Training batches of domain ``"A"`` or ``"B"`` for ``epoch``."""
        seed = epoch_seed(self.config.seed, domain, epoch)
        return jitter_batches(self.cached_train[domain], self.config, seed)

    @property
    def train_a(self) -> tf.data.Dataset:
        return self.train("A")

    @property
    def train_b(self) -> tf.data.Dataset:
        return self.train("B")

    @property
    def steps_per_epoch(self) -> int:
        """Batches per epoch: min(|A|, |B|) as the seed's zip, or max as the authors' code,
        capped by ``config.steps_per_epoch``."""
        pick = min if self.config.epoch_length == "min" else max
        steps = pick(self.counts["trainA"], self.counts["trainB"]) // self.config.batch_size
        if self.config.steps_per_epoch is not None:
            steps = min(steps, self.config.steps_per_epoch)
        return steps

    def train_pairs(self, epoch: int = 0) -> tf.data.Dataset:
        """One epoch of (real_a, real_b) batch pairs, ``steps_per_epoch`` long."""
        a, b = self.train("A", epoch), self.train("B", epoch)
        if self.config.epoch_length == "max":  # the shorter domain repeats, reshuffled
            a, b = a.repeat(), b.repeat()
        return tf.data.Dataset.zip(a, b).take(self.steps_per_epoch)


def load_domains(config: Config) -> Domains:
    """Load ``config.dataset`` and build the training and test pipelines (see module doc)."""
    raw, counts = raw_source(config)
    return build_domains(raw, counts, config)


def build_domains(raw: dict[str, tf.data.Dataset], counts: dict[str, int], config: Config):
    """:class:`Domains` over the splits that :func:`raw_source` returns, caches filled."""
    domains = Domains(
        cached_train={d: cache_for_training(raw["train" + d], config) for d in "AB"},
        test_a=test_pipeline(raw["testA"], config),
        test_b=test_pipeline(raw["testB"], config),
        counts=counts,
        config=config,
    )
    # Fill every cache now (the first epoch would, anyway). An iterator that stops before the
    # end of a cache being written (a peek at one batch, an epoch capped by steps_per_epoch)
    # throws the partial cache away, with a warning that blames the user's pipeline.
    for ds in [*domains.cached_train.values(), domains.test_a, domains.test_b]:
        ds.reduce(np.int64(0), lambda n, _: n + 1)
    return domains
