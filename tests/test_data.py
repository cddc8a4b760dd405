import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from cyclegan_lesson import data
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.data import BadImagesError, DataSourceError, load_domains

TINY = PROFILES["tiny"]


def _epoch(domains):
    return [(a.numpy(), b.numpy()) for a, b in domains.train_pairs()]


def test_toy_pipeline_shapes_dtypes_ranges():
    domains = load_domains(TINY.replace(steps_per_epoch=None, batch_size=2))
    assert domains.counts == {"trainA": 16, "trainB": 16, "testA": 120, "testB": 140}
    epoch = _epoch(domains)
    assert len(epoch) == domains.steps_per_epoch == 8
    for a, b in epoch:
        for batch in (a, b):
            assert batch.shape == (2, 32, 32, 3) and batch.dtype == np.float32
            assert batch.min() >= -1.0 and batch.max() <= 1.0
    test = next(iter(domains.test_b)).numpy()
    assert test.shape == (2, 32, 32, 3) and -1 <= test.min() and test.max() <= 1


def test_jitter_is_fresh_every_epoch_but_repeatable_from_the_seed():
    config = TINY.replace(shuffle_buffer=1)  # same order every epoch: only jitter can differ
    first = _epoch(load_domains(config))
    again = load_domains(config)
    epoch0, epoch1 = _epoch(again), [(a.numpy(), b.numpy()) for a, b in again.train_pairs(1)]
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(first, epoch0, strict=True))
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(epoch0, epoch1, strict=True))
    # iterating one dataset object twice also gives fresh jitter
    batches = again.train_a
    one, two = [x.numpy() for x in batches], [x.numpy() for x in batches]
    assert any(not np.array_equal(x, y) for x, y in zip(one, two, strict=True))


def test_training_images_are_decoded_and_resized_once():
    calls = []

    def count(image):
        calls.append(1)
        return image

    config = TINY.replace(steps_per_epoch=None)
    raw, counts = data.raw_source(config)
    counted = raw["trainA"].map(
        lambda im: tf.ensure_shape(tf.numpy_function(count, [im], tf.uint8), [None, None, 3])
    )
    cached = data.cache_for_training(counted, config)
    for seed in range(3):
        assert len(list(data.jitter_batches(cached, config, seed))) == counts["trainA"]
    assert len(calls) == counts["trainA"]


def test_load_domains_fills_every_cache_so_a_peek_never_reprocesses(monkeypatch):
    calls = []

    def count(image):
        calls.append(1)
        return image

    raw_source = data.raw_source

    def counted_source(config):
        raw, counts = raw_source(config)
        counted = {
            split: ds.map(
                lambda im: tf.ensure_shape(
                    tf.numpy_function(count, [im], tf.uint8), [None, None, 3]
                )
            )
            for split, ds in raw.items()
        }
        return counted, counts

    monkeypatch.setattr(data, "raw_source", counted_source)
    config = TINY.replace(toy_train_size=12, batch_size=2, steps_per_epoch=2)
    domains = load_domains(config)
    assert len(calls) == sum(domains.counts.values()) == 12 + 12 + 120 + 140
    # peeks and epochs capped at 2 of 6 batches used to stop a cache half-written, drop it
    # (with TensorFlow's warning) and process the images again next time
    next(iter(domains.test_a))
    next(iter(domains.train("A", 0)))
    for _ in range(2):
        assert len(_epoch(domains)) == 2
    assert len(list(domains.test_b)) == 70
    assert len(calls) == 12 + 12 + 120 + 140


def test_test_split_has_no_jitter():
    domains = load_domains(TINY)
    one = [t.numpy() for t in domains.test_a.take(3)]
    two = [t.numpy() for t in domains.test_a.take(3)]
    assert all(np.array_equal(x, y) for x, y in zip(one, two, strict=True))
    expected = data.normalize(data.toy.make_split("testA", 32, 0, 1)[0]).numpy()
    np.testing.assert_allclose(one[0][0], expected, atol=1e-6)


def test_epoch_length_min_or_max():
    config = TINY.replace(steps_per_epoch=None, toy_train_size=6)
    domains = load_domains(config)
    domains.counts["trainB"] = 9  # pretend B is larger
    assert domains.steps_per_epoch == 6
    assert load_domains(config.replace(epoch_length="max")).steps_per_epoch == 6
    domains.config = config.replace(epoch_length="max")
    assert domains.steps_per_epoch == 9
    assert len(list(domains.train_pairs())) == 9


def test_random_jitter_resizes_crops_and_flips():
    image = tf.reshape(tf.range(10 * 7 * 3, dtype=tf.float32), [10, 7, 3])
    out = data.random_jitter(image, size=16, jitter_size=18, seed=tf.constant([1, 2]))
    assert out.shape == (16, 16, 3)
    again = data.random_jitter(image, size=16, jitter_size=18, seed=tf.constant([1, 2]))
    np.testing.assert_array_equal(out, again)
    # nearest-neighbour resizing never invents values
    assert set(np.unique(out.numpy())) <= set(np.unique(image.numpy()))
    flips = {
        bool(
            np.array_equal(
                data.random_jitter(image, 18, 18, tf.constant([s, 0])),
                data.resize_nearest(image, 18),
            )
        )
        for s in range(20)
    }
    assert flips == {True, False}  # with no room to crop, half the draws are unflipped


def test_tfds_source_with_mock_data_of_random_sizes():
    with tfds.testing.mock_data(num_examples=4, policy=tfds.testing.MockPolicy.USE_CODE):
        raw, counts = data.raw_source(TINY.replace(dataset="tfds:cycle_gan/horse2zebra"))
        shapes = {tuple(im.shape) for im in raw["trainA"]}
        assert len(shapes) > 1  # mock images come in random sizes
        domains = load_domains(TINY.replace(dataset="tfds:cycle_gan/horse2zebra"))
        assert counts == domains.counts == {"trainA": 4, "trainB": 4, "testA": 4, "testB": 4}
        for a, b in domains.train_pairs():
            assert a.shape == b.shape == (1, 32, 32, 3)
            assert -1 <= float(tf.reduce_min(a)) and float(tf.reduce_max(a)) <= 1
        assert next(iter(domains.test_b)).shape == (1, 32, 32, 3)


def test_tfds_unknown_name_lists_valid_configs():
    with pytest.raises(DataSourceError) as error:
        data.raw_source(TINY.replace(dataset="tfds:cycle_gan/cats2dogs"))
    message = str(error.value)
    assert "tfds:cycle_gan/horse2zebra" in message and "tfds:cycle_gan/maps" in message
    assert "--dataset toy" in message


def test_tfds_download_failure_says_what_to_do(monkeypatch, tmp_path):
    from cyclegan_lesson import archives

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(tfds, "load", offline)
    # the fallback archive: a port on this machine where nothing listens, and an empty cache
    refused = archives.Archive("apple2orange", "http://127.0.0.1:9/apple2orange.zip", 1, "0" * 64)
    monkeypatch.setattr(archives, "archive", lambda name: refused)
    monkeypatch.setenv(archives.CACHE_ENV, str(tmp_path))
    with pytest.raises(DataSourceError) as error:
        data.raw_source(TINY.replace(dataset="tfds:cycle_gan/apple2orange"))
    message = str(error.value)
    assert "cycle_gan/apple2orange" in message and "ConnectionError" in message
    assert "--dataset toy" in message and "trainA/" in message


@pytest.fixture
def messy_folder(tmp_path):
    """A dataset folder holding every awkward kind of file."""
    rng = np.random.default_rng(0)
    for split in ("trainA", "trainB", "testA", "testB"):
        (tmp_path / split).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (20, 24, 3), np.uint8)).save(
                tmp_path / split / f"rgb{i}.png"
            )
    a = tmp_path / "trainA"
    Image.fromarray(rng.integers(0, 255, (16, 16), np.uint8), "L").save(a / "gray.png")
    rgba = rng.integers(0, 255, (16, 16, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: must come out white
    Image.fromarray(rgba, "RGBA").save(a / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), np.uint8)).convert("P").save(a / "pal.gif")
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(a / "cmyk.jpg")
    Image.fromarray(np.full((16, 16), 65535, np.uint16)).save(a / "deep16.png")
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), np.uint8)).save(a / "x.webp")
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), np.uint8)).save(a / "x.bmp")
    Image.fromarray(rng.integers(0, 255, (5, 5, 3), np.uint8)).save(a / "small.png")
    b = tmp_path / "trainB"
    jpeg = b / "truncated.jpg"
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)).save(jpeg, quality=95)
    jpeg.write_bytes(jpeg.read_bytes()[:400])
    (b / "empty.png").write_bytes(b"")
    (b / "notes.jpg").write_text("this is not a picture")
    (b / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (b / "readme.txt").write_text("ignored")
    return tmp_path


def test_read_image_converts_every_mode_to_8bit_rgb(messy_folder):
    a = messy_folder / "trainA"
    for name in ("gray.png", "rgba.png", "pal.gif", "cmyk.jpg", "deep16.png", "x.webp", "x.bmp"):
        image = data.read_image(a / name)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, name
    assert (data.read_image(a / "rgba.png") == 255).all()  # transparent on white
    assert (data.read_image(a / "deep16.png") == 255).all()  # 65535 scales to 255
    cmyk = data.read_image(a / "cmyk.jpg").astype(int).mean(axis=(0, 1))
    assert cmyk[0] > 200 and cmyk[1] < 60 and cmyk[2] < 60  # C=0, M=Y=255: red


def test_folder_with_bad_files_lists_each_one(messy_folder):
    config = TINY.replace(dataset=str(messy_folder))
    with pytest.raises(BadImagesError) as error:
        load_domains(config)
    bad = {path.name for path, _ in error.value.bad}
    assert bad == {"truncated.jpg", "empty.png", "notes.jpg"}
    message = str(error.value)
    for name in bad:
        assert str(messy_folder / "trainB" / name) in message
    assert "--skip-bad-images" in message


def test_skip_bad_images_trains_on_the_rest(messy_folder):
    config = TINY.replace(dataset=str(messy_folder), skip_bad_images=True)
    with pytest.warns(UserWarning, match="Skipping 3 unreadable"):
        domains = load_domains(config)
    assert domains.counts == {"trainA": 11, "trainB": 3, "testA": 3, "testB": 3}
    images = [a.numpy() for a in domains.train_a]
    assert len(images) == 11
    assert all(im.shape == (1, 32, 32, 3) for im in images)  # 5x5 and 16x16 scaled up


def test_missing_or_empty_train_folder_is_named(tmp_path):
    (tmp_path / "trainA").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "trainA" / "one.png")
    with pytest.raises(DataSourceError, match=f"Missing folder {tmp_path / 'trainB'}"):
        data.raw_source(TINY.replace(dataset=str(tmp_path)))
    (tmp_path / "trainB").mkdir()
    (tmp_path / "trainB" / ".DS_Store").write_bytes(b"x")
    with pytest.raises(DataSourceError, match=f"{tmp_path / 'trainB'} holds no images"):
        data.raw_source(TINY.replace(dataset=str(tmp_path)))
    with pytest.raises(DataSourceError, match="does not exist"):
        data.raw_source(TINY.replace(dataset=str(tmp_path / "nowhere")))


def test_missing_test_folders_hold_out_train_images(tmp_path):
    for split in ("trainA", "trainB"):
        (tmp_path / split).mkdir()
        for i in range(20):
            Image.new("RGB", (8, 8), (i, i, i)).save(tmp_path / split / f"{i:02d}.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        domains = load_domains(TINY.replace(dataset=str(tmp_path)))
    messages = " ".join(str(w.message) for w in caught)
    assert "holding out the last 2 images of trainA/" in messages
    assert "holding out the last 2 images of trainB/" in messages
    assert domains.counts == {"trainA": 18, "trainB": 18, "testA": 2, "testB": 2}
