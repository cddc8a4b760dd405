import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cyclegan_lesson import cli
from cyclegan_lesson.inference import (
    RunError,
    ServingGenerator,
    export,
    load_run,
    translate_array,
    translate_path,
)


def _save(path, h, w, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), np.uint8)).save(path)


def train_state(run_dir):
    """First kernel of each model as a training-time CycleGAN restores it."""
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.training import CycleGAN

    gan = CycleGAN(PROFILES["tiny"])
    gan.checkpoint().restore(tf.train.latest_checkpoint(run_dir / "checkpoints"))
    return {n: gan.models[n].trainable_weights[0].numpy() for n in gan.models}


def test_load_run_restores_the_trained_generators(tiny_run):
    run = load_run(tiny_run)
    assert run.checkpoint.endswith("ckpt-4")
    assert run.config.image_size == 32
    trained = train_state(tiny_run)
    for model in ("generator_g", "discriminator_y"):
        np.testing.assert_array_equal(run.models[model].trainable_weights[0], trained[model])
    again = load_run(tiny_run)
    x = tf.random.uniform([1, 32, 32, 3], -1, 1)
    np.testing.assert_array_equal(run.generator_g(x), again.generator_g(x))
    assert run.generator("b2a") is run.generator_f
    with pytest.raises(ValueError, match="direction must be"):
        run.generator("sideways")


def test_load_run_errors_say_what_to_do(tmp_path, tiny_run):
    with pytest.raises(RunError, match="not a training run"):
        load_run(tmp_path)
    with pytest.raises(RunError, match="No checkpoint"):
        load_run(tiny_run, str(tiny_run / "checkpoints" / "ckpt-99"))


def test_translate_a_folder_keeps_names_reports_bad_files(tmp_path, tiny_run):
    src = tmp_path / "in"
    src.mkdir()
    _save(src / "wide.png", 20, 50)
    _save(src / "big.jpg", 90, 70, seed=1)
    _save(src / "tiny.bmp", 5, 7, seed=2)
    Image.new("P", (12, 12)).save(src / "anim.gif")
    (src / "broken.png").write_bytes(b"\x89PNG not really")
    (src / "notes.txt").write_text("not an image")
    run = load_run(tiny_run)
    report = translate_path(run, "a2b", src, tmp_path / "out", progress=False)
    names = sorted(p.name for p in report.written)
    assert names == ["anim.png", "big.jpg", "tiny.bmp", "wide.png"]
    assert [(p.name, "UnidentifiedImageError" in why) for p, why in report.skipped] == [
        ("broken.png", True)
    ]
    for path in report.written:
        image = Image.open(path)
        assert image.size == (32, 32) and image.mode == "RGB"  # the model's size by default
    assert Image.open(tmp_path / "out" / "big.jpg").format == "JPEG"


def test_native_translation_keeps_the_input_size(tmp_path, tiny_run):
    run = load_run(tiny_run)
    for h, w in ((45, 70), (20, 12), (64, 96)):
        image = np.random.default_rng(h).integers(0, 255, (h, w, 3), np.uint8)
        out = translate_array(run.generator_g, image, run.config, native=True)
        assert out.shape == (h, w, 3) and out.dtype == np.uint8
    # too small to pad by reflection (12 px wide, 20 px of padding): stretched and back
    image = np.random.default_rng(5).integers(0, 255, (20, 12, 3), np.uint8)
    stretched = tf.image.resize(image[None].astype(np.float32) / 127.5 - 1, [32, 32])
    back = tf.image.resize(run.generator_g(stretched, training=False), [20, 12])
    expected = np.clip(np.round((back.numpy()[0] + 1) * 127.5), 0, 255)
    np.testing.assert_array_equal(
        translate_array(run.generator_g, image, run.config, True), expected
    )
    # a size the U-Net takes as it is runs unpadded
    image = np.random.default_rng(0).integers(0, 255, (64, 96, 3), np.uint8)
    direct = run.generator_g(image[None].astype(np.float32) / 127.5 - 1, training=False)
    expected = np.clip(np.round((np.asarray(direct[0]) + 1) * 127.5), 0, 255)
    np.testing.assert_array_equal(
        translate_array(run.generator_g, image, run.config, True), expected
    )
    src = tmp_path / "one.png"
    _save(src, 45, 70)
    report = translate_path(run, "b2a", src, tmp_path / "native", native=True, progress=False)
    assert Image.open(report.written[0]).size == (70, 45)


@pytest.mark.parametrize("fixture", ["tiny_run", "tiny_attention_run"])
def test_export_round_trip(tmp_path, fixture, request):
    run = load_run(request.getfixturevalue(fixture))
    paths = export(run, tmp_path / "export")
    images = np.random.default_rng(0).integers(0, 255, (2, 40, 50, 3), np.uint8)
    serving = ServingGenerator(run.generator_g, 32)  # tf.function keeps only a weak reference
    live = serving.serve(tf.constant(images))["images"].numpy()
    loaded = tf.saved_model.load(str(paths["generator_g_savedmodel"]))
    served = loaded.signatures["serving_default"](images=tf.constant(images))["images"].numpy()
    assert served.shape == (2, 40, 50, 3) and served.dtype == np.uint8
    np.testing.assert_array_equal(served, live)
    single = loaded.signatures["serving_default"](images=tf.constant(images[:1, :17, :9]))
    assert single["images"].shape == (1, 17, 9, 3)
    x = tf.random.uniform([2, 32, 32, 3], -1, 1)
    restored = keras.models.load_model(paths["generator_f.keras"])
    np.testing.assert_array_equal(restored(x, training=False), run.generator_f(x, training=False))


def test_translate_and_export_commands(tmp_path, tiny_run, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _save(src / "a.png", 32, 32)
    (src / "b.jpg").write_text("not a jpeg")
    args = ["translate", "--run", str(tiny_run), "--direction", "b2a"]
    assert cli.main([*args, "--input", str(src), "--output", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert "1 image(s) written" in captured.out and "1 skipped" in captured.out
    assert f"skipped {src / 'b.jpg'}" in captured.err
    assert cli.main(["export", "--run", str(tiny_run), "--output", str(tmp_path / "e")]) == 0
    assert (tmp_path / "e" / "generator_g.keras").is_file()
    assert cli.main(["export", "--run", str(tmp_path), "--output", str(tmp_path / "x")]) == 1
    assert "not a training run" in capsys.readouterr().err
